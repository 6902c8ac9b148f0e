import { jest } from '@jest/globals';
import { OffsetCommitter, type TopicPartitionOffset } from './offset-committer';
import { partitionKey } from './stalled-partitions';

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

  it('leaves what a rebalance interrupted to the group, even for partitions it keeps, and stops when closed', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200);
    committer.assigned({ runs: [0, 1] });
    target.failNext = true;
    committer.finished('runs', 0, '11');
    committer.finished('runs', 1, '5');
    await jest.advanceTimersByTimeAsync(200);
    // Partition 0 went to another member; partition 1 stays, and this member reads it again
    // from the group's commit: neither refused offset is sent under the new assignment.
    committer.assigned({ runs: [1] });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(target.commits).toEqual([]);

    committer.finished('runs', 1, '7'); // read again from the group's commit, and finished
    await jest.advanceTimersByTimeAsync(200);
    expect(target.commits).toEqual([[{ topic: 'runs', partition: 1, offset: '8' }]]);

    target.failNext = true;
    committer.finished('runs', 1, '9');
    await jest.advanceTimersByTimeAsync(200);
    committer.close();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(target.commits).toHaveLength(1);
  });

  it('drops what waits when the assignment changes, and never commits a partition not assigned here', async () => {
    jest.useFakeTimers();
    const target = new RecordingTarget();
    const committer = new OffsetCommitter(target, 200);
    committer.assigned({ runs: [0] });
    committer.finished('runs', 0, '3');
    expect([...committer.uncommitted()]).toEqual(['runs\u00000']);
    committer.assigned({ runs: [0, 1] }); // rejoined before the interval ended
    expect(committer.uncommitted().size).toBe(0);
    committer.finished('runs', 2, '8'); // a partition the group did not give this member
    await jest.advanceTimersByTimeAsync(1_000);
    expect(target.commits).toEqual([]);
    expect([...(committer.ownedPartitions() ?? [])]).toEqual(['runs\u00000', 'runs\u00001']);
  });

  it('does not try again a commit refused while the group rebalanced under it', async () => {
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
    const committer = new OffsetCommitter(target, 200);
    committer.assigned({ runs: [0, 1] });
    committer.finished('runs', 0, '11');
    committer.finished('runs', 1, '5');
    await jest.advanceTimersByTimeAsync(200);
    expect([...committer.uncommitted()].sort()).toEqual(['runs\u00000', 'runs\u00001']);
    committer.assigned({ runs: [1] }); // a rebalance while it is under way
    refuse(new Error('NOT_COORDINATOR'));
    await jest.advanceTimersByTimeAsync(5_000);
    expect(commits.slice(1)).toEqual([]);
    expect(committer.uncommitted().size).toBe(0);
    committer.close();
  });

  it('says once when every commit has been refused for stuckAfterMs, and forgets refusals an accepted commit or a new join ends', async () => {
    jest.useFakeTimers();
    let refusing = true;
    const accepted: TopicPartitionOffset[][] = [];
    const target = {
      commitOffsets: (offsets: TopicPartitionOffset[]) =>
        refusing
          ? Promise.reject(new Error('This is not the correct coordinator for this group'))
          : Promise.resolve(void accepted.push(offsets)),
    };
    const committer = new OffsetCommitter(target, 200, { stuckAfterMs: 10_000, now: Date.now });
    const stuck: unknown[] = [];
    committer.whenStuck((error) => stuck.push(error));
    committer.assigned({ runs: [0] });
    committer.finished('runs', 0, '4');
    await jest.advanceTimersByTimeAsync(9_000);
    expect(stuck).toEqual([]);
    committer.assigned({ runs: [0] }); // a new join: refusals count from its first
    committer.finished('runs', 0, '6');
    await jest.advanceTimersByTimeAsync(9_000);
    expect(stuck).toEqual([]);
    refusing = false;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(accepted).toEqual([[{ topic: 'runs', partition: 0, offset: '7' }]]);

    refusing = true;
    committer.finished('runs', 0, '8');
    await jest.advanceTimersByTimeAsync(12_000);
    expect(stuck).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(stuck).toHaveLength(1);
    committer.close();
  });
  it('counts a commit that never answers as refused: the next commit goes on, and a member whose commits keep hanging is reported stuck', async () => {
    jest.useFakeTimers();
    let hanging = true;
    const accepted: TopicPartitionOffset[][] = [];
    const target = {
      commitOffsets: (offsets: TopicPartitionOffset[]) => {
        if (hanging) return new Promise<void>(() => undefined); // no answer, ever
        accepted.push(offsets);
        return Promise.resolve();
      },
    };
    const committer = new OffsetCommitter(target, 200, {
      stuckAfterMs: 10_000,
      attemptDeadlineMs: 3_000,
      now: Date.now,
    });
    const stuck: unknown[] = [];
    committer.whenStuck((error) => stuck.push(error));
    committer.assigned({ runs: [0] });
    committer.finished('runs', 0, '4');
    await jest.advanceTimersByTimeAsync(200);
    expect(committer.uncommitted()).toEqual(new Set([partitionKey('runs', 0)])); // under way, unanswered
    await jest.advanceTimersByTimeAsync(3_000);
    // Given up on: tried again a moment later rather than waited for.
    hanging = false;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(accepted).toEqual([[{ topic: 'runs', partition: 0, offset: '5' }]]);
    expect(committer.uncommitted()).toEqual(new Set());

    hanging = true;
    committer.finished('runs', 0, '9');
    await jest.advanceTimersByTimeAsync(9_000);
    expect(stuck).toEqual([]);
    await jest.advanceTimersByTimeAsync(8_000);
    expect(stuck).toHaveLength(1);
    expect(String(stuck[0])).toContain('no answer within 3000 ms');
    committer.close();
  });
});
