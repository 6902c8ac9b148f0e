/**
 * How scenarios publish the components' events: through Bridge's `EventPublisher` (Kafka or
 * the in-process bus), counting what went out in the ground truth. When the transport refuses a
 * run event, the run stays in the simulated state (the component did the work) but its truth
 * says it was never announced, so scoring does not expect Bridge to have checked it, unless
 * the event is kept and sent again until the transport takes it (`publishRunsUntilSent`).
 */
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import type { EventOf, Topic } from '@bridge/contracts';
import type { EventPublisher, OutgoingEvent } from '@bridge/messaging';
import type { GroundTruthRecorder } from './ground-truth';

/** Tries to publish for about three minutes, backing off up to 5 s. */
const UNTIL_SENT = retry(handleAll, {
  maxAttempts: 40,
  backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }),
});

export type RunTopic = 'cappella.run.completed' | 'cappella.run.failed';

export class ScenarioPublisher {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly recorder: GroundTruthRecorder,
  ) {}

  async publish<T extends Topic>(topic: T, event: EventOf<T>, key: string): Promise<void> {
    await this.publisher.publish(topic, event, key);
    this.recorder.publishedEvents(topic, 1);
  }

  /** Publishes run events (keyed by run id) in one request. */
  async publishRuns<T extends RunTopic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    try {
      if (events.length === 1) await this.publisher.publish(topic, events[0].event, events[0].key);
      else await this.publisher.publishMany(topic, events);
      this.recorder.publishedEvents(topic, events.length);
    } catch (error) {
      for (const { key } of events) if (key) this.recorder.runPublished(key, null, null);
      throw error;
    }
  }

  /**
   * As `publishRuns`, but like a component with an outbox: the events are kept and sent again
   * until the transport takes them (a broker outage or a leader election delays them, it does
   * not lose them), then recorded as announced.
   */
  async publishRunsUntilSent<T extends RunTopic>(
    topic: T,
    events: OutgoingEvent<T>[],
    signal?: AbortSignal,
  ): Promise<void> {
    await UNTIL_SENT.execute(() => this.publishRuns(topic, events), signal);
    const at = Date.now();
    for (const { event, key } of events)
      if (key) this.recorder.runPublished(key, event.event_id, at);
  }
}
