import { ProduceCoalescer, type TopicMessages } from './produce-coalescer';

const message = (text: string, key: string | null = null) => ({ key, value: Buffer.from(text) });

/** A broker stand-in: records each request; a request can be held open or made to fail. */
class FakeBroker {
  readonly requests: TopicMessages[][] = [];
  private release?: () => void;
  held = false;
  refuse?: (batch: TopicMessages[]) => Error | undefined;

  send = async (batch: TopicMessages[]): Promise<void> => {
    this.requests.push(batch);
    if (this.held) await new Promise<void>((resolve) => (this.release = resolve));
    const refusal = this.refuse?.(batch);
    if (refusal) throw refusal;
  };

  letGo(): void {
    this.held = false;
    this.release?.();
  }
}

const texts = (batch: TopicMessages[]) =>
  batch.map(
    ({ topic, messages }) => `${topic}:${messages.map((m) => m.value.toString()).join(',')}`,
  );

describe('ProduceCoalescer', () => {
  it('sends the publishes of one tick as one request, grouped by topic in order', async () => {
    const broker = new FakeBroker();
    const coalescer = new ProduceCoalescer(broker.send);
    await Promise.all([
      coalescer.send('a', [message('1')]),
      coalescer.send('b', [message('2')]),
      coalescer.send('a', [message('3'), message('4')]),
    ]);
    expect(broker.requests).toHaveLength(1);
    expect(texts(broker.requests[0])).toEqual(['a:1,3,4', 'b:2']);
  });

  it('joins the sends made while a request is in flight into the next request', async () => {
    const broker = new FakeBroker();
    const coalescer = new ProduceCoalescer(broker.send);
    broker.held = true;
    const first = coalescer.send('a', [message('1')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.requests).toHaveLength(1);
    const later = [2, 3, 4].map((n) => coalescer.send('a', [message(String(n))]));
    broker.letGo();
    await Promise.all([first, ...later]);
    expect(broker.requests.map(texts)).toEqual([['a:1'], ['a:2,3,4']]);
  });

  it('splits what waits into requests no larger than the limit, one oversized send alone', async () => {
    const broker = new FakeBroker();
    const coalescer = new ProduceCoalescer(broker.send, 10);
    await Promise.all([
      coalescer.send('a', [message('xxxx')]),
      coalescer.send('a', [message('yyyy')]),
      coalescer.send('a', [message('zzzz')]),
      coalescer.send('a', [message('a-very-long-value')]),
    ]);
    expect(broker.requests.map(texts)).toEqual([
      ['a:xxxx,yyyy'],
      ['a:zzzz'],
      ['a:a-very-long-value'],
    ]);
  });

  it('fails only the caller whose message the broker refuses when a joined request fails', async () => {
    const broker = new FakeBroker();
    broker.refuse = (batch) =>
      batch.some(({ messages }) => messages.some((m) => m.value.toString() === 'bad'))
        ? new Error('MESSAGE_TOO_LARGE')
        : undefined;
    const coalescer = new ProduceCoalescer(broker.send);
    const outcomes = await Promise.allSettled([
      coalescer.send('a', [message('good-1')]),
      coalescer.send('a', [message('bad')]),
      coalescer.send('b', [message('good-2')]),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('MESSAGE_TOO_LARGE'));
    // The joined request, then each caller alone.
    expect(broker.requests.map(texts)).toEqual([
      ['a:good-1,bad', 'b:good-2'],
      ['a:good-1'],
      ['a:bad'],
      ['b:good-2'],
    ]);
  });

  it('keeps sending after a failure and resolves an empty send at once', async () => {
    const broker = new FakeBroker();
    broker.refuse = () => new Error('broker down');
    const coalescer = new ProduceCoalescer(broker.send);
    await expect(coalescer.send('a', [message('1')])).rejects.toThrow('broker down');
    broker.refuse = undefined;
    await coalescer.send('a', [message('2', 'run-1')]);
    await coalescer.send('a', []);
    expect(broker.requests.map(texts)).toEqual([['a:1'], ['a:2']]);
    expect(broker.requests[1][0].messages[0].key).toBe('run-1');
  });
});
