import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { DEAD_LETTER_TOPIC, Topics, type DeadLetter, type EventOf } from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';
import type { ReceivedEvent } from '../event-bus';
import {
  InProcessBus,
  InProcessEventPublisher,
  InProcessEventSubscriber,
  PARKED_PER_TOPIC,
} from './in-process-bus';

const batch = (count: number): EventOf<'hippo.ingest.batch_completed'> => ({
  event_id: randomUUID(),
  occurred_at: Date.now(),
  batch_id: `b-${count}`,
  entity_type: 'sample',
  count,
  actor: 'hippo-loader',
});

function setUp() {
  const bus = new InProcessBus({ maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 });
  return {
    bus,
    publisher: new InProcessEventPublisher(bus),
    subscriber: new InProcessEventSubscriber(bus),
  };
}

describe('in-process bus', () => {
  it('delivers each event once to every consumer group, in publish order', async () => {
    const { bus, publisher, subscriber } = setUp();
    const seen: Record<string, number[]> = { a: [], b: [] };
    for (const group of ['a', 'b']) {
      await subscriber.subscribe({
        groupId: group,
        topics: [Topics.HippoIngestBatchCompleted],
        handler: (received) => {
          seen[group].push(received.event.count);
          return Promise.resolve();
        },
      });
    }
    for (let i = 1; i <= 5; i += 1)
      await publisher.publish(Topics.HippoIngestBatchCompleted, batch(i), `b-${i}`);
    await bus.idle();
    expect(seen).toEqual({ a: [1, 2, 3, 4, 5], b: [1, 2, 3, 4, 5] });
  });

  it('refuses an event that does not match its schema, and delivers nothing of that call', async () => {
    const { bus, publisher, subscriber } = setUp();
    const handler = jest.fn(() => Promise.resolve());
    await subscriber.subscribe({
      groupId: 'g',
      topics: [Topics.HippoIngestBatchCompleted],
      handler,
    });
    const bad = {
      ...batch(1),
      count: 'many',
    } as unknown as EventOf<'hippo.ingest.batch_completed'>;
    await expect(
      publisher.publishMany(Topics.HippoIngestBatchCompleted, [
        { event: batch(2) },
        { event: bad },
      ]),
    ).rejects.toThrow(InvalidEventError);
    await bus.idle();
    expect(handler).not.toHaveBeenCalled();
  });

  it('dead-letters an event whose handler keeps failing and goes on with the next one', async () => {
    const { bus, publisher, subscriber } = setUp();
    const handled: number[] = [];
    const deadLetters: DeadLetter[] = [];
    await subscriber.subscribe({
      groupId: 'g',
      topics: [Topics.HippoIngestBatchCompleted],
      handler: (received: ReceivedEvent<'hippo.ingest.batch_completed'>) => {
        if (received.event.count === 1) return Promise.reject(new Error('boom'));
        handled.push(received.event.count);
        return Promise.resolve();
      },
    });
    await subscriber.subscribe({
      groupId: 'dlq-reader',
      topics: [DEAD_LETTER_TOPIC],
      handler: (received) => {
        deadLetters.push(received.event);
        return Promise.resolve();
      },
    });
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(1));
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(2));
    await bus.idle();
    expect(handled).toEqual([2]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      source_topic: 'hippo.ingest.batch_completed',
      attempts: 2,
      reason: 'Error: boom',
    });
  });

  it('stops delivering to a stopped subscription', async () => {
    const { bus, publisher, subscriber } = setUp();
    const handler = jest.fn(() => Promise.resolve());
    const subscription = await subscriber.subscribe({
      groupId: 'g',
      topics: [Topics.HippoIngestBatchCompleted],
      handler,
    });
    await subscription.stop();
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(1));
    await bus.idle();
    expect(handler).not.toHaveBeenCalled();
  });

  it('keeps events published before any group subscribed and hands them to the first one', async () => {
    const { bus, publisher, subscriber } = setUp();
    for (let i = 1; i <= 3; i += 1)
      await publisher.publish(Topics.HippoIngestBatchCompleted, batch(i), `b-${i}`);
    const seen: number[] = [];
    await subscriber.subscribe({
      groupId: 'late',
      topics: [Topics.HippoIngestBatchCompleted],
      handler: (received) => {
        seen.push(received.event.count);
        return Promise.resolve();
      },
    });
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(4), 'b-4');
    await bus.idle();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('settles: waits for queued work before a stop, and reports when time ran out', async () => {
    const { bus, publisher, subscriber } = setUp();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: number[] = [];
    await subscriber.subscribe({
      groupId: 'slow',
      topics: [Topics.HippoIngestBatchCompleted],
      handler: async (received) => {
        await gate;
        handled.push(received.event.count);
      },
    });
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(1), 'b-1');
    expect(bus.backlog().get('slow')).toBe(1);
    await expect(subscriber.drain(20)).resolves.toBe(false);
    release();
    await expect(subscriber.drain(1_000)).resolves.toBe(true);
    expect(handled).toEqual([1]);
    expect(bus.backlog().get('slow')).toBe(0);
  });

  it('keeps what a stopped group had not finished, and gives it back to that group only', async () => {
    const { bus, publisher, subscriber } = setUp();
    const seen: number[] = [];
    const delayed = await subscriber.subscribe({
      groupId: 'delayed',
      topics: [Topics.HippoIngestBatchCompleted],
      // Every event waits an hour: a stop finds them all unfinished.
      notBefore: () => Date.now() + 3_600_000,
      handler: (received) => {
        seen.push(received.event.count);
        return Promise.resolve();
      },
    });
    for (let i = 1; i <= 3; i += 1)
      await publisher.publish(Topics.HippoIngestBatchCompleted, batch(i), `b-${i}`);
    await delayed.stop();
    // Published after the group stopped (a batch finishing elsewhere during shutdown).
    await publisher.publish(Topics.HippoIngestBatchCompleted, batch(4), 'b-4');
    // A topic nobody here ever consumed: not anyone's work.
    await publisher.publish(Topics.CappellaReconciliationCompleted, {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      scan_id: 'scan-1',
      discrepancy_count: 0,
      resolved_count: 0,
    });
    const leftovers = bus.takeLeftovers();
    expect(leftovers.map((l) => [l.groupId, l.messages.length])).toEqual([['delayed', 4]]);
    expect(bus.takeLeftovers()).toEqual([]);

    // The next process: restored before the group subscribes, delivered when it does.
    const next = setUp();
    next.bus.restore('delayed', leftovers[0].messages);
    const other: number[] = [];
    await next.subscriber.subscribe({
      groupId: 'other',
      topics: [Topics.HippoIngestBatchCompleted],
      handler: (received) => {
        other.push(received.event.count);
        return Promise.resolve();
      },
    });
    const resumed: number[] = [];
    await next.subscriber.subscribe({
      groupId: 'delayed',
      topics: [Topics.HippoIngestBatchCompleted],
      handler: (received) => {
        resumed.push(received.event.count);
        return Promise.resolve();
      },
    });
    await next.bus.idle();
    expect(resumed).toEqual([1, 2, 3, 4]);
    expect(other).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('warns once when a topic nobody consumes overflows its parking, not on every event', async () => {
    const { bus, publisher } = setUp();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const events = Array.from({ length: PARKED_PER_TOPIC + 5 }, (_, i) => ({
        event: batch(i),
        key: `b-${i}`,
      }));
      await publisher.publishMany(Topics.HippoIngestBatchCompleted, events);
      const overflow = warn.mock.calls.filter(([message]) =>
        String(message).includes('no consumer'),
      );
      expect(overflow).toHaveLength(1);
      expect(bus.backlog().size).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });
});
