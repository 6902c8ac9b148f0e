/**
 * An `EventPublisher` for unit tests: validates every event against its topic's schema (as both
 * transports do), keeps what was published in `sent`, and makes the next publish to a topic
 * named in `failNextOn` reject, like a broker that did not acknowledge.
 */
import { validateEvent, type EventOf, type Topic } from '@bridge/contracts';
import { EventPublisher, type OutgoingEvent } from '../event-bus';
import { LocalAvroCodec } from '../event-codec';

export class RecordingEventPublisher extends EventPublisher {
  readonly sent: Array<{ topic: Topic; key: string | undefined; event: unknown }> = [];
  readonly failNextOn = new Set<Topic>();
  private readonly codec = new LocalAvroCodec();

  publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void> {
    return this.publishMany(topic, [{ event, key }]);
  }

  publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    for (const { event } of events) validateEvent(topic, event);
    if (this.failNextOn.delete(topic)) return Promise.reject(new Error('broker unreachable'));
    for (const { event, key } of events) this.sent.push({ topic, key, event });
    return Promise.resolve();
  }

  encode<T extends Topic>(topic: T, event: EventOf<T>): Promise<Buffer> {
    return this.codec.encode(topic, event);
  }

  decode<T extends Topic>(topic: T, bytes: Buffer): Promise<EventOf<T>> {
    return this.codec.decode(topic, bytes);
  }

  /** Raw messages published (requeued bytes), in order. */
  readonly raw: Array<{ topic: string; key: Buffer | string | null; value: Buffer }> = [];

  publishRaw(topic: string, key: Buffer | string | null, value: Buffer): Promise<void> {
    this.raw.push({ topic, key, value });
    return Promise.resolve();
  }

  /** The events published to `topic`, in order. */
  on<T extends Topic>(topic: T): Array<EventOf<T>> {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.event as EventOf<T>);
  }

  /** The message keys used on `topic`, in order. */
  keysOn(topic: Topic): Array<string | undefined> {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.key);
  }
}
