import { StalledPartitionWatch } from './stalled-partition-watch';
import { partitionKey, type GroupPartitionOffsets, type Rewind } from './stalled-partitions';

/** A member of `runs` with partitions 0 and 1, a broker's answers, and the seeks it was asked for. */
function fixture(offsets: GroupPartitionOffsets[]) {
  let now = 0;
  const owned = new Set([partitionKey('runs', 0), partitionKey('runs', 1)]);
  const uncommitted = new Set<string>();
  const reads: string[][] = [];
  const seeks: Rewind[] = [];
  const watch = new StalledPartitionWatch({
    groupId: 'checker',
    fromBeginning: true,
    assignment: { ownedPartitions: () => owned, uncommitted: () => uncommitted },
    readOffsets: (topics) => {
      reads.push([...topics]);
      return Promise.resolve(offsets);
    },
    seek: (rewind) => seeks.push(rewind),
    intervalMs: 0,
    quietMs: 20_000,
    now: () => now,
  });
  watch.assigned({ runs: [0, 1] });
  return { watch, reads, seeks, uncommitted, advance: (ms: number) => (now += ms) };
}

describe('StalledPartitionWatch', () => {
  const behind = [
    { topic: 'runs', partition: 0, low: '0', high: '87', committed: '80' },
    { topic: 'runs', partition: 1, low: '0', high: '159', committed: '159' },
  ];

  it('gives a new assignment the quiet time, then seeks a partition left behind to its commit, once', async () => {
    const { watch, reads, seeks, advance } = fixture(behind);
    advance(19_999);
    expect(await watch.check()).toEqual([]);
    expect(reads).toEqual([]); // nothing quiet yet: the broker is not asked

    advance(1);
    expect(await watch.check()).toEqual([{ topic: 'runs', partition: 0, offset: '80', behind: 7 }]);
    expect(seeks).toEqual([{ topic: 'runs', partition: 0, offset: '80', behind: 7 }]);
    expect(reads).toEqual([['runs']]);

    // The rewound partition is given the quiet time again before it is judged anew.
    advance(10_000);
    expect(await watch.check()).toEqual([]);
    expect(seeks).toHaveLength(1);
  });

  it('never rewinds while a batch runs or a commit of the partition waits', async () => {
    const { watch, seeks, uncommitted, advance } = fixture(behind);
    watch.batchStarted('runs', 0);
    advance(60_000); // a batch waiting for a delayed item's time, say
    expect(await watch.check()).toEqual([]);
    watch.batchEnded('runs', 0);
    uncommitted.add(partitionKey('runs', 0));
    advance(60_000);
    expect(await watch.check()).toEqual([]);
    uncommitted.clear();
    expect(await watch.check()).toHaveLength(1);
    expect(seeks).toHaveLength(1);
  });

  it('tries again at the next interval when the broker cannot answer', async () => {
    let fail = true;
    const seeks: Rewind[] = [];
    let now = 0;
    const watch = new StalledPartitionWatch({
      groupId: 'checker',
      fromBeginning: true,
      assignment: {
        ownedPartitions: () => new Set([partitionKey('runs', 0)]),
        uncommitted: () => new Set(),
      },
      readOffsets: () =>
        fail ? Promise.reject(new Error('Broker not available')) : Promise.resolve(behind),
      seek: (rewind) => seeks.push(rewind),
      intervalMs: 0,
      now: () => now,
    });
    watch.assigned({ runs: [0] });
    now = 30_000;
    await expect(watch.check()).resolves.toEqual([]);
    fail = false;
    expect((await watch.check()).map((r) => r.offset)).toEqual(['80']);
    expect(seeks).toHaveLength(1);
  });
});
