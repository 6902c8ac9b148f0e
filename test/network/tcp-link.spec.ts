import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { OrderedDelay } from './tcp-link';

describe('OrderedDelay', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('releases chunks in the order they came, however late the timer runs', async () => {
    jest.useFakeTimers();
    const released: string[] = [];
    const delay = new OrderedDelay((chunk) => released.push(chunk.toString()));
    // Paced at 1,000 bytes a second: each chunk of 3 bytes takes 3 ms, each arriving a ms later.
    for (const name of ['aaa', 'bbb', 'ccc', 'ddd']) {
      delay.push(Buffer.from(name), 100, 1_000);
      jest.setSystemTime(Date.now() + 1);
    }
    expect(delay.idle).toBe(false);
    await jest.advanceTimersByTimeAsync(50);
    expect(released).toEqual([]);
    // The event loop comes back late: by the time the head's timer runs, all four are due, and
    // they leave in the order they came.
    jest.setSystemTime(Date.now() + 500);
    await jest.advanceTimersByTimeAsync(60);
    expect(released).toEqual(['aaa', 'bbb', 'ccc', 'ddd']);
    expect(delay.idle).toBe(true);
  });

  it('paces each chunk behind the one ahead of it', async () => {
    jest.useFakeTimers();
    const released: Array<[string, number]> = [];
    const start = Date.now();
    const delay = new OrderedDelay((chunk) =>
      released.push([chunk.toString(), Date.now() - start]),
    );
    delay.push(Buffer.alloc(100, 'x'), 0, 1_000); // 100 ms at 1,000 bytes a second
    delay.push(Buffer.from('y'), 0); // no pacing of its own, still behind the first
    await jest.advanceTimersByTimeAsync(99);
    expect(released).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(released.map(([name]) => name[0])).toEqual(['x', 'y']);
    expect(released.every(([, at]) => at >= 100)).toBe(true);
  });
});
