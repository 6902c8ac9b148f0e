/**
 * The ingest service's consumer: every inbound component topic, in batches, handed to the
 * `InboundEventIngestor`. The consumer loop behind `@ConsumeEvents` has already decoded each
 * event against its Avro schema and dead-lettered what it could not read.
 */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { INBOUND_TOPICS } from '@bridge/contracts';
import { ConsumeEvents, type ReceivedEvent } from '@bridge/messaging';
import { INGEST_GROUP, InboundEventIngestor, type InboundTopic } from './inbound-event-ingestor';

@Controller()
export class InboundEventsController {
  constructor(private readonly ingestor: InboundEventIngestor) {}

  @ConsumeEvents(INBOUND_TOPICS, { group: INGEST_GROUP, batch: true })
  ingest(@Payload() events: Array<ReceivedEvent<InboundTopic>>): Promise<void> {
    return this.ingestor.ingest(events);
  }
}
