import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Topics, type DeadLetter, type EventOf } from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';
import { ConsumerLoop, SubscriptionStopped } from './consumer-loop';
import { LocalAvroCodec } from './event-codec';
import type { ReceivedEvent } from './event-bus';
import type { RawMessage } from './raw-message';

const retry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 };
const codec = new LocalAvroCodec();

async function messageOf(event: EventOf<'canon.cache.evicted'>, offset = '0'): Promise<RawMessage> {
  return {
    topic: Topics.CanonCacheEvicted,
    partition: 0,
    offset,
    key: Buffer.from('k'),
    value: await codec.encode(Topics.CanonCacheEvicted, event),
  };
}

const evicted = (): EventOf<'canon.cache.evicted'> => ({
  event_id: randomUUID(),
  occurred_at: 1_700_000_000_000,
  artifact_ids: ['a-1', 'a-2'],
  reason: 'sweep',
});

function loopWith(
  handler: (received: ReceivedEvent<'canon.cache.evicted'>) => Promise<void>,
  loopCodec = codec,
) {
  const deadLetters: DeadLetter[] = [];
  const loop = new ConsumerLoop(
    { groupId: 'test-group', topics: [Topics.CanonCacheEvicted], handler },
    loopCodec,
    (deadLetter) => {
      deadLetters.push(deadLetter);
      return Promise.resolve();
    },
    retry,
  );
  return { loop, deadLetters };
}

describe('ConsumerLoop', () => {
  it('hands the decoded event to the handler', async () => {
    const seen: Array<ReceivedEvent<'canon.cache.evicted'>> = [];
    const { loop, deadLetters } = loopWith((received) => {
      seen.push(received);
      return Promise.resolve();
    });
    const event = evicted();
    await expect(loop.process(await messageOf(event, '7'))).resolves.toBe('handled');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      topic: 'canon.cache.evicted',
      key: 'k',
      offset: '7',
      attempt: 1,
    });
    expect(seen[0].event).toEqual(event);
    expect(deadLetters).toEqual([]);
  });

  it('dead-letters undecodable bytes at once, keeping the original bytes and the reason', async () => {
    const handler = jest.fn(() => Promise.resolve());
    const { loop, deadLetters } = loopWith(handler);
    const garbage = Buffer.from([0xff, 0xfe, 0x01]);
    const outcome = await loop.process({
      ...(await messageOf(evicted())),
      value: garbage,
      offset: '3',
    });
    expect(outcome).toBe('dead-lettered');
    expect(handler).not.toHaveBeenCalled();
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      source_topic: 'canon.cache.evicted',
      source_offset: '3',
      consumer_group: 'test-group',
      failure_kind: 'undecodable',
      attempts: 1,
    });
    expect(deadLetters[0].payload).toEqual(garbage);
    expect(deadLetters[0].reason).toMatch(/not a canon.cache.evicted Avro body/);
  });

  it('dead-letters a record over MAX_EVENT_BYTES unread, without its bytes, so the dead letter fits', async () => {
    const handler = jest.fn(() => Promise.resolve());
    const small = new LocalAvroCodec({ maxEventBytes: 64 * 1024, maxItems: 100 });
    const { loop, deadLetters } = loopWith(handler, small);
    const huge = Buffer.alloc(100 * 1024, 0x41);
    await expect(loop.process({ ...(await messageOf(evicted())), value: huge })).resolves.toBe(
      'dead-lettered',
    );
    expect(handler).not.toHaveBeenCalled();
    expect(deadLetters[0].payload).toBeNull();
    expect(deadLetters[0].key).toEqual(Buffer.from('k'));
    expect(deadLetters[0].reason).toMatch(
      /record of 102400 bytes is larger than the limit of 65536 bytes.*original value of 102400 bytes not kept/,
    );
    // The dead letter itself decodes within the same limits.
    const letterBytes = await small.encode(Topics.BridgeDlqEvents, deadLetters[0]);
    await expect(small.decode(Topics.BridgeDlqEvents, letterBytes)).resolves.toMatchObject({
      failure_kind: 'undecodable',
    });
  });

  it('dead-letters an empty message instead of blocking the partition', async () => {
    const { loop, deadLetters } = loopWith(() => Promise.resolve());
    await loop.process({ ...(await messageOf(evicted())), value: null });
    expect(deadLetters[0].reason).toMatch(/no value/);
  });

  it('retries a failing handler with backoff and succeeds when the failure clears', async () => {
    let calls = 0;
    const { loop, deadLetters } = loopWith((received) => {
      calls += 1;
      expect(received.attempt).toBe(calls);
      return calls < 3 ? Promise.reject(new Error('hippo timeout')) : Promise.resolve();
    });
    const onRetry = jest.fn(() => Promise.resolve());
    await expect(loop.process(await messageOf(evicted()), onRetry)).resolves.toBe('handled');
    expect(calls).toBe(3);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(deadLetters).toEqual([]);
  });

  it('dead-letters after the attempt cap with the last error as reason', async () => {
    const handler = jest.fn(() => Promise.reject(new Error('database down')));
    const { loop, deadLetters } = loopWith(handler);
    await expect(loop.process(await messageOf(evicted()))).resolves.toBe('dead-lettered');
    expect(handler).toHaveBeenCalledTimes(3);
    expect(deadLetters[0]).toMatchObject({ failure_kind: 'handler_failed', attempts: 3 });
    expect(deadLetters[0].reason).toBe('Error: database down');
  });

  it('does not retry a permanent error', async () => {
    const handler = jest.fn(() => Promise.reject(new InvalidEventError('unknown pipeline')));
    const { loop, deadLetters } = loopWith(handler);
    await loop.process(await messageOf(evicted()));
    expect(handler).toHaveBeenCalledTimes(1);
    expect(deadLetters[0]).toMatchObject({ failure_kind: 'invalid', attempts: 1 });
  });

  it('fails (so the offset is not committed) when the dead letter cannot be written', async () => {
    const loop = new ConsumerLoop(
      { groupId: 'g', topics: [Topics.CanonCacheEvicted], handler: () => Promise.resolve() },
      codec,
      () => Promise.reject(new Error('broker unavailable')),
      retry,
    );
    await expect(
      loop.process({ ...(await messageOf(evicted())), value: Buffer.from('x') }),
    ).rejects.toThrow('broker unavailable');
  });
});

describe('ConsumerLoop batches', () => {
  const context = (done: string[], stop = () => false) => ({
    keepAlive: () => Promise.resolve(),
    shouldStop: stop,
    onDone: (message: RawMessage) => done.push(message.offset),
  });

  function batchLoop(
    batchHandler: (events: Array<ReceivedEvent<'canon.cache.evicted'>>) => Promise<void>,
    extra: {
      maxBatchSize?: number;
      notBefore?: (e: EventOf<'canon.cache.evicted'>) => number;
    } = {},
  ) {
    const deadLetters: DeadLetter[] = [];
    const loop = new ConsumerLoop(
      { groupId: 'batch-group', topics: [Topics.CanonCacheEvicted], batchHandler, ...extra },
      codec,
      (deadLetter) => {
        deadLetters.push(deadLetter);
        return Promise.resolve();
      },
      retry,
    );
    return { loop, deadLetters };
  }

  it('hands events to the batch handler together, in order, up to the batch size', async () => {
    const calls: string[][] = [];
    const { loop } = batchLoop(
      (events) => {
        calls.push(events.map((e) => e.offset));
        return Promise.resolve();
      },
      { maxBatchSize: 2 },
    );
    const done: string[] = [];
    const messages = await Promise.all(['1', '2', '3'].map((o) => messageOf(evicted(), o)));
    await loop.processBatch(messages, context(done));
    expect(calls).toEqual([['1', '2'], ['3']]);
    expect(done).toEqual(['1', '2', '3']);
  });

  it('isolates a poison event of a failing batch: only that one is dead-lettered', async () => {
    const poison = evicted();
    const handled: string[] = [];
    const { loop, deadLetters } = batchLoop((events) => {
      if (events.some((e) => e.event.event_id === poison.event_id)) {
        return Promise.reject(new Error('cannot handle this one'));
      }
      handled.push(...events.map((e) => e.offset));
      return Promise.resolve();
    });
    const done: string[] = [];
    const messages = [
      await messageOf(evicted(), '1'),
      await messageOf(poison, '2'),
      await messageOf(evicted(), '3'),
    ];
    await loop.processBatch(messages, context(done));
    expect(handled.sort()).toEqual(['1', '3']);
    expect(deadLetters.map((d) => d.source_offset)).toEqual(['2']);
    expect(done).toEqual(['1', '2', '3']);
  });

  it('dead-letters undecodable bytes in a batch and still handles the rest', async () => {
    const handled: string[] = [];
    const { loop, deadLetters } = batchLoop((events) => {
      handled.push(...events.map((e) => e.offset));
      return Promise.resolve();
    });
    const garbage: RawMessage = { ...(await messageOf(evicted(), '2')), value: Buffer.from('x') };
    const done: string[] = [];
    await loop.processBatch(
      [await messageOf(evicted(), '1'), garbage, await messageOf(evicted(), '3')],
      context(done),
    );
    expect(handled).toEqual(['1', '3']);
    expect(deadLetters.map((d) => d.failure_kind)).toEqual(['undecodable']);
    expect(done).toEqual(['1', '2', '3']);
  });

  it('waits for a delayed event until its time, and a stop ends the wait uncommitted', async () => {
    const handledAt: number[] = [];
    const { loop } = batchLoop(
      () => {
        handledAt.push(Date.now());
        return Promise.resolve();
      },
      { notBefore: (e) => e.occurred_at },
    );
    const start = Date.now();
    const done: string[] = [];
    await loop.processBatch(
      [await messageOf({ ...evicted(), occurred_at: start + 150 }, '1')],
      context(done),
    );
    expect(handledAt[0] - start).toBeGreaterThanOrEqual(140);
    expect(done).toEqual(['1']);

    let stop = false;
    setTimeout(() => (stop = true), 50);
    const later: string[] = [];
    await expect(
      loop.processBatch(
        [await messageOf({ ...evicted(), occurred_at: Date.now() + 60_000 }, '2')],
        context(later, () => stop),
      ),
    ).rejects.toBeInstanceOf(SubscriptionStopped);
    expect(later).toEqual([]);
  });
});

describe('ConsumerLoop during an infrastructure outage', () => {
  const outage = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('holds the message past the attempt cap until the outage ends, and dead-letters nothing', async () => {
    let calls = 0;
    const { loop, deadLetters } = loopWith(() => {
      calls += 1;
      return calls <= 7 ? Promise.reject(outage()) : Promise.resolve();
    });
    await expect(loop.process(await messageOf(evicted()))).resolves.toBe('handled');
    expect(calls).toBe(8);
    expect(deadLetters).toEqual([]);
  });

  it('gives the message back uncommitted when the subscription stops during the outage', async () => {
    const { loop, deadLetters } = loopWith(() => Promise.reject(outage()));
    let stop = false;
    setTimeout(() => (stop = true), 30);
    const done: string[] = [];
    await expect(
      loop.processBatch([await messageOf(evicted(), '4')], {
        keepAlive: () => Promise.resolve(),
        shouldStop: () => stop,
        onDone: (message) => done.push(message.offset),
      }),
    ).rejects.toBeInstanceOf(SubscriptionStopped);
    expect(done).toEqual([]);
    expect(deadLetters).toEqual([]);
  });
});
