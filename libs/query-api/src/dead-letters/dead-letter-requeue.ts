/**
 * Requeueing dead letters, the one way it is done (the API's endpoints and through them the
 * CLI): the original key and bytes go back to the topic they came from, as they were, and the
 * row records who requeued it. Consumers decode and validate a requeued message again, so one
 * that is still bad comes back as a new dead letter; one whose cause was fixed goes through.
 *
 * Only topics Bridge has a schema for (and not the dead-letter topic itself) are targets: the
 * source topic is written in the dead letter, and anyone who can write to the dead-letter topic
 * could otherwise make an admin's requeue write their bytes to any topic of the cluster.
 */
import { Logger } from '@nestjs/common';
import { DEAD_LETTER_TOPIC, isTopic } from '@bridge/contracts';
import { NotFoundError, StateConflictError } from '@bridge/errors';
import type { EventPublisher } from '@bridge/messaging';
import type { DeadLetterFilter, DeadLetterStore, StoredDeadLetter } from '@bridge/store';

/** Most dead letters one filtered requeue sends. */
export const MAX_REQUEUE_BATCH = 1_000;

/** Whether a requeue may send to `topic`: one of Bridge's topics, other than the dead letters'. */
export function isRequeueTarget(topic: string): boolean {
  return isTopic(topic) && topic !== DEAD_LETTER_TOPIC;
}

export class DeadLetterRequeue {
  private readonly logger = new Logger('DeadLetterRequeue');

  constructor(
    private readonly store: DeadLetterStore,
    private readonly publisher: EventPublisher,
  ) {}

  /** Requeues one dead letter; `NotFoundError`, or `StateConflictError` when it has no payload. */
  async one(id: string, by: string): Promise<StoredDeadLetter> {
    const letter = await this.store.findById(id);
    if (!letter) throw new NotFoundError(`no dead letter ${id}`);
    await this.send([letter], by);
    return (await this.store.findById(id)) ?? letter;
  }

  /** Requeues up to `limit` dead letters matching `filter`, oldest first; returns their ids. */
  async matching(filter: DeadLetterFilter, limit: number, by: string): Promise<string[]> {
    const letters = (await this.store.matching(filter, limit)).filter(
      (l) => l.payload !== null && isRequeueTarget(l.sourceTopic),
    );
    await this.send(letters, by);
    return letters.map((letter) => letter.id);
  }

  private async send(letters: StoredDeadLetter[], by: string): Promise<void> {
    for (const letter of letters) {
      if (!letter.payload) {
        throw new StateConflictError(`dead letter ${letter.id} has no payload to requeue`);
      }
      if (!isRequeueTarget(letter.sourceTopic)) {
        throw new StateConflictError(
          `dead letter ${letter.id} came from ${letter.sourceTopic}, which is not a topic Bridge consumes: it is not sent anywhere`,
        );
      }
      await this.publisher.publishRaw(letter.sourceTopic, letter.key, letter.payload);
      // Marked one by one: if the broker fails half-way, the ones sent say so.
      await this.store.markRequeued([letter.id], by);
    }
    if (letters.length > 0) {
      this.logger.log(`${by} requeued ${letters.length} dead letter(s)`);
    }
  }
}
