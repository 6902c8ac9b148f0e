import { jest } from '@jest/globals';
import { RunsInProgress } from './runs-in-progress';

describe('RunsInProgress', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('completes each run at its due time, in due order, submission order on ties', async () => {
    const completed: string[] = [];
    const runs = new RunsInProgress<string>((id) => completed.push(id));
    runs.add('b', 200);
    runs.add('a', 100);
    runs.add('c', 200);
    runs.add('d', 300);
    await jest.advanceTimersByTimeAsync(99);
    expect(completed).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(completed).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(100);
    expect(completed).toEqual(['a', 'b', 'c']);
    expect(runs.size).toBe(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(completed).toEqual(['a', 'b', 'c', 'd']);
    expect(runs.size).toBe(0);
  });

  it('forgets what is in progress when cleared', async () => {
    const completed: string[] = [];
    const runs = new RunsInProgress<string>((id) => completed.push(id));
    runs.add('a', 50);
    runs.clear();
    await jest.advanceTimersByTimeAsync(100);
    expect(completed).toEqual([]);
    runs.add('b', 150);
    await jest.advanceTimersByTimeAsync(50);
    expect(completed).toEqual(['b']);
  });
});
