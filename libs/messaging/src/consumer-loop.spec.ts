import { randomUUID } from 'node:crypto';
import { Topics, type DeadLetter, type EventOf } from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';
import { ConsumerLoop } from './consumer-loop';
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

function loopWith(handler: (received: ReceivedEvent<'canon.cache.evicted'>) => Promise<void>) {
  const deadLetters: DeadLetter[] = [];
  const loop = new ConsumerLoop(
    { groupId: 'test-group', topics: [Topics.CanonCacheEvicted], handler },
    codec,
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
