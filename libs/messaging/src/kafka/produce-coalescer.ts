/**
 * Joins the sends that arrive while a produce request is in flight into the next request
 * (group commit), so many callers publishing one event each cost one round trip to the broker
 * instead of one each: the simulator's resubmitted runs, the services' concurrent outboxes.
 * A send that finds nothing in flight goes at once, so light traffic waits no longer than before.
 *
 * A joined request that fails is retried caller by caller, so one caller's bad message (too
 * large, say) fails that caller alone. Part of the failed request may already be written: the
 * retry can then repeat those messages, which the at-least-once contract allows (consumers
 * deduplicate by event id).
 */

import { outsideMessageContext } from '../message-context';

export interface ProduceMessage {
  key: Buffer | string | null;
  value: Buffer;
  headers?: Record<string, string>;
  /** Set by `placeMessages` just before the request. */
  partition?: number;
}

export interface TopicMessages {
  topic: string;
  messages: ProduceMessage[];
}

/** One produce request carrying these topics' messages, resolved when the broker acknowledged it. */
export type SendRequest = (batch: TopicMessages[]) => Promise<void>;

interface PendingSend extends TopicMessages {
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Kafka's default `message.max.bytes` is about 1 MiB per record batch: stay well below it. */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;

export class ProduceCoalescer {
  private queue: PendingSend[] = [];
  private draining = false;

  constructor(
    private readonly sendRequest: SendRequest,
    private readonly maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES,
  ) {}

  send(topic: string, messages: ProduceMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, messages, bytes: sizeOf(messages), resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the sends of this same tick (a `Promise.all` over many publishes) join the first.
        // The drain sends everyone's messages: it belongs to no sender's message context.
        outsideMessageContext(() => setImmediate(() => void this.drain()));
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const taken = this.takeRequest();
        try {
          await this.sendRequest(byTopic(taken));
          for (const pending of taken) pending.resolve();
        } catch (error) {
          if (taken.length === 1) taken[0].reject(error);
          else await this.sendOneByOne(taken);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The oldest sends that fit in one request; always at least one, however large. */
  private takeRequest(): PendingSend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = this.queue[count];
      if (count > 0 && bytes + next.bytes > this.maxRequestBytes) break;
      bytes += next.bytes;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async sendOneByOne(taken: PendingSend[]): Promise<void> {
    for (const pending of taken) {
      try {
        await this.sendRequest([{ topic: pending.topic, messages: pending.messages }]);
        pending.resolve();
      } catch (error) {
        pending.reject(error);
      }
    }
  }
}

/** One entry per topic, messages in the order they were sent (Kafka keeps it per partition). */
function byTopic(sends: readonly PendingSend[]): TopicMessages[] {
  const topics = new Map<string, ProduceMessage[]>();
  for (const { topic, messages } of sends) {
    const list = topics.get(topic);
    if (list) list.push(...messages);
    else topics.set(topic, [...messages]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function sizeOf(messages: readonly ProduceMessage[]): number {
  let bytes = 0;
  for (const { key, value } of messages) {
    bytes += value.length + (key === null ? 0 : Buffer.byteLength(key));
  }
  return bytes;
}
