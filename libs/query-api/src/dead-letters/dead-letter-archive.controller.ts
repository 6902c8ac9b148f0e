/**
 * Keeps every dead letter queryable: the API's consumer of `bridge.dlq.events` stores each
 * record in `dead_letters` (by its event id, so a redelivery is kept once), where operators
 * filter, read and requeue them through `/dead-letters`.
 */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DEAD_LETTER_TOPIC } from '@bridge/contracts';
import { ConsumeEvents, type ReceivedEvent } from '@bridge/messaging';
import { DeadLetterStore } from '@bridge/store';

/** Consumer group of the dead-letter archive, before the deployment's prefix. */
export const DEAD_LETTER_ARCHIVE_GROUP = 'api-dead-letters';

@Controller()
export class DeadLetterArchiveController {
  constructor(private readonly store: DeadLetterStore) {}

  @ConsumeEvents(DEAD_LETTER_TOPIC, { group: DEAD_LETTER_ARCHIVE_GROUP, batch: true })
  async archive(@Payload() events: Array<ReceivedEvent<typeof DEAD_LETTER_TOPIC>>): Promise<void> {
    await this.store.recordMany(events.map((received) => received.event));
  }
}
