/**
 * How scenarios publish the components' events: through Bridge's `EventPublisher` (Kafka or
 * the in-process bus), counting what went out in the ground truth. When the transport refuses a
 * run event, the run stays in the simulated state (the component did the work) but its truth
 * says it was never announced, so scoring does not expect Bridge to have checked it.
 */
import type { EventOf, Topic } from '@bridge/contracts';
import type { EventPublisher, OutgoingEvent } from '@bridge/messaging';
import type { GroundTruthRecorder } from './ground-truth';

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
}
