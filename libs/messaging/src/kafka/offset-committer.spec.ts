import { jest } from '@jest/globals';
import { OffsetCommitter, type TopicPartitionOffset } from './offset-committer';

class RecordingTarget {
  readonly commits: TopicPartitionOffset[][] = [];
  failNext = false;

  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('REBALANCE_IN_PROGRESS'));
    }
    this.commits.push(offsets);
    return Promise.resolve();
  }
}

describe('OffsetCommitter', () => {
  afterEach(() => jest.useRealTimers());

  it('commits the highest finished offset of every partition in one request per interval', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200);
    committer.finished('runs', 0, '4');
    committer.finished('runs', 1, '9');
    committer.finished('runs', 0, '7');
    committer.finished('runs', 0, '5'); // an earlier batch ending late does not move it back
    committer.finished('oks', 0, '0');
    expect(target.commits).toEqual([]);

    await jest.advanceTimersByTimeAsync(200);
    expect(target.commits).toEqual([
      [
        { topic: 'runs', partition: 0, offset: '8' },
        { topic: 'runs', partition: 1, offset: '10' },
        { topic: 'oks', partition: 0, offset: '1' },
      ],
    ]);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(target.commits).toHaveLength(1); // nothing new, no request
  });

  it('flushes at once when asked (stop, rebalance) and then waits for new work', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 60_000);
    committer.finished('runs', 2, '41');
    await committer.flush();
    expect(target.commits).toEqual([[{ topic: 'runs', partition: 2, offset: '42' }]]);
    await committer.flush();
    expect(target.commits).toHaveLength(1);
  });

  it('commits after every batch with an interval of 0', async () => {
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 0);
    committer.finished('runs', 0, '0');
    await committer.flush();
    committer.finished('runs', 0, '1');
    await committer.flush();
    expect(target.commits.map((c) => c[0].offset)).toEqual(['1', '2']);
  });

  it('survives a refused commit: the next one carries the partition further', async () => {
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 10_000);
    target.failNext = true;
    committer.finished('runs', 0, '3');
    await expect(committer.flush()).resolves.toBeUndefined();
    committer.finished('runs', 0, '6');
    await committer.flush();
    expect(target.commits).toEqual([[{ topic: 'runs', partition: 0, offset: '7' }]]);
  });

  it('tries a refused commit again on its own, for a partition that receives nothing more', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200);
    target.failNext = true; // the coordinator moved to another broker
    committer.finished('runs', 0, '11');
    await jest.advanceTimersByTimeAsync(200);
    expect(target.commits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(target.commits).toEqual([[{ topic: 'runs', partition: 0, offset: '12' }]]);
  });

  it('leaves a refused commit to the new owner of a partition that moved, and stops when closed', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200);
    target.failNext = true;
    committer.finished('runs', 0, '11');
    committer.finished('runs', 1, '5');
    await jest.advanceTimersByTimeAsync(200);
    committer.assigned({ runs: [1] }); // partition 0 went to another member
    await jest.advanceTimersByTimeAsync(1_000);
    expect(target.commits).toEqual([[{ topic: 'runs', partition: 1, offset: '6' }]]);

    target.failNext = true;
    committer.finished('runs', 1, '9');
    await jest.advanceTimersByTimeAsync(200);
    committer.close();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(target.commits).toHaveLength(1);
  });

  it("commits its position again every reassertMs, which mends a commit moved back behind the owner's back", async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200, { reassertMs: 10_000 });
    committer.assigned({ runs: [0, 1] });
    committer.finished('runs', 0, '9');
    committer.finished('runs', 1, '3');
    await jest.advanceTimersByTimeAsync(200);
    expect(target.commits).toHaveLength(1);

    // Another member's late retry set runs[0] back to 5 on the broker; nothing more arrives.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(target.commits[1]).toEqual(
      expect.arrayContaining([
        { topic: 'runs', partition: 0, offset: '10' },
        { topic: 'runs', partition: 1, offset: '4' },
      ]),
    );

    committer.assigned({ runs: [1] }); // runs[0] is another member's now: never asserted again
    committer.finished('runs', 0, '12'); // a batch of runs[0] that ended after the rebalance
    await jest.advanceTimersByTimeAsync(10_000);
    expect(target.commits[2]).toEqual([{ topic: 'runs', partition: 1, offset: '4' }]);
    committer.close();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(target.commits).toHaveLength(3);
  });

  it('does not try again a refused commit of a partition that moved while the commit was under way', async () => {
    jest.useFakeTimers();
    let refuse: (error: Error) => void = () => undefined;
    const commits: TopicPartitionOffset[][] = [];
    const target = {
      commitOffsets: (offsets: TopicPartitionOffset[]) =>
        commits.length === 0
          ? new Promise<void>((_, reject) => {
              commits.push([]); // the first commit hangs in kafkajs's own retries
              refuse = reject;
            })
          : Promise.resolve(void commits.push(offsets)),
    };
    const committer = new OffsetCommitter(target, 200, { reassertMs: 0 });
    committer.assigned({ runs: [0, 1] });
    committer.finished('runs', 0, '11');
    committer.finished('runs', 1, '5');
    await jest.advanceTimersByTimeAsync(200);
    committer.assigned({ runs: [1] }); // a rebalance while it is under way
    refuse(new Error('NOT_COORDINATOR'));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(commits.slice(1)).toEqual([[{ topic: 'runs', partition: 1, offset: '6' }]]);
    committer.close();
  });
});
