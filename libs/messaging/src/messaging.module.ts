/**
 * Nest wiring for messaging: provides `EventPublisher`, `EventSubscriber`, `TransportHealth` and
 * the `BridgeTransportServer` (the Nest transport strategy that runs `@ConsumeEvents` handlers)
 * for the transport the configuration names, so services inject the abstractions and never
 * know whether they run on Kafka or in-process. On Kafka, building the transport creates every
 * topic first, so nothing that follows can meet a missing topic.
 */
import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { EventPublisher, EventSubscriber } from './event-bus';
import {
  InProcessBus,
  InProcessEventPublisher,
  InProcessEventSubscriber,
} from './in-process/in-process-bus';
import { KafkaConnection } from './kafka/kafka-connection';
import { KafkaEventPublisher } from './kafka/kafka-publisher';
import { KafkaEventSubscriber } from './kafka/kafka-subscriber';
import { BridgeTransportServer } from './nest/bridge-transport.server';

/** The transport objects of this process, built once from the configuration. */
export type Transport =
  | {
      kind: 'kafka';
      connection: KafkaConnection;
      publisher: KafkaEventPublisher;
      subscriber: KafkaEventSubscriber;
    }
  | {
      kind: 'in-process';
      bus: InProcessBus;
      publisher: InProcessEventPublisher;
      subscriber: InProcessEventSubscriber;
    };

export const TRANSPORT = Symbol('Transport');

/** Builds the transport; on Kafka, also creates every topic and waits until each is served. */
export async function openTransport(config: BridgeConfig): Promise<Transport> {
  const transport = createTransport(config);
  if (transport.kind === 'kafka') await transport.connection.provisionTopics();
  return transport;
}

export function createTransport(config: BridgeConfig): Transport {
  if (config.transport.kind === 'kafka') {
    const connection = new KafkaConnection(config.transport, config.decoding);
    const publisher = new KafkaEventPublisher(connection);
    return {
      kind: 'kafka',
      connection,
      publisher,
      subscriber: new KafkaEventSubscriber(connection, publisher, config.consumerRetry),
    };
  }
  const bus = new InProcessBus(config.consumerRetry, config.decoding);
  return {
    kind: 'in-process',
    bus,
    publisher: new InProcessEventPublisher(bus),
    subscriber: new InProcessEventSubscriber(bus),
  };
}

/** Reachability of the transport, for health endpoints. */
@Injectable()
export class TransportHealth {
  constructor(@Inject(TRANSPORT) private readonly transport: Transport) {}

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** The broker answers (always true for the in-process bus). */
  async isReachable(): Promise<boolean> {
    return this.transport.kind === 'kafka' ? this.transport.connection.isReachable() : true;
  }

  /** The schema registry answers; null when the transport uses none (in-process). */
  async isRegistryReachable(): Promise<boolean | null> {
    return this.transport.kind === 'kafka' ? this.transport.connection.codec.isReachable() : null;
  }
}

@Global()
@Module({
  providers: [
    { provide: TRANSPORT, inject: [BRIDGE_CONFIG], useFactory: openTransport },
    { provide: EventPublisher, inject: [TRANSPORT], useFactory: (t: Transport) => t.publisher },
    { provide: EventSubscriber, inject: [TRANSPORT], useFactory: (t: Transport) => t.subscriber },
    TransportHealth,
    BridgeTransportServer,
  ],
  exports: [TRANSPORT, EventPublisher, EventSubscriber, TransportHealth, BridgeTransportServer],
})
export class MessagingModule implements OnApplicationShutdown {
  constructor(@Inject(TRANSPORT) private readonly transport: Transport) {}

  /** Last: the consumers stopped before (`BridgeTransportServer`), the producer goes now. */
  async onApplicationShutdown(): Promise<void> {
    if (this.transport.kind === 'kafka') await this.transport.connection.close();
  }
}
