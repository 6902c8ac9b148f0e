export {
  EventPublisher,
  EventSubscriber,
  type BatchContext,
  type BatchEventHandler,
  type EventHandler,
  type OutgoingEvent,
  type ReceivedEvent,
  type Subscription,
  type SubscriptionSpec,
} from './event-bus';
export {
  ConsumerLoop,
  SubscriptionStopped,
  type DeadLetterSink,
  type LoopContext,
  type ProcessOutcome,
} from './consumer-loop';
export { checkAvroBounds } from './avro-bounds';
export { buildDeadLetter, failureKindOf, type FailureKind } from './dead-letter';
export { LocalAvroCodec, RegistryAvroCodec, type EventCodec } from './event-codec';
export { InProcessBus } from './in-process/in-process-bus';
export { KafkaConnection } from './kafka/kafka-connection';
export {
  ConsumeEvents,
  PassThroughRpcErrors,
  type ConsumerOptions,
} from './nest/consume-events.decorator';
export { BridgeEventContext } from './nest/bridge-event-context';
export { BridgeTransportServer } from './nest/bridge-transport.server';
export {
  MessagingModule,
  openTransport,
  TRANSPORT,
  TransportHealth,
  createTransport,
  type Transport,
} from './messaging.module';
export type { RawMessage } from './raw-message';
export {
  bindToMessageContext,
  currentMessageContext,
  enableMessageContext,
  messageContextFor,
  outgoingTraceHeaders,
  traceIdOf,
  withMessageContext,
  type MessageContext,
} from './message-context';
