import { partitionKey, partitionsToRewind, type RewindInput } from './stalled-partitions';

const QUIET = 20_000;
const NOW = 1_000_000;

function input(overrides: Partial<RewindInput> = {}): RewindInput {
  return {
    owned: new Set([partitionKey('runs', 0), partitionKey('runs', 1)]),
    activity: new Map([
      [partitionKey('runs', 0), { running: 0, lastActiveAt: NOW - QUIET }],
      [partitionKey('runs', 1), { running: 0, lastActiveAt: NOW - QUIET }],
    ]),
    uncommitted: new Set(),
    offsets: [
      { topic: 'runs', partition: 0, low: '0', high: '87', committed: '80' },
      { topic: 'runs', partition: 1, low: '0', high: '159', committed: '159' },
    ],
    fromBeginning: true,
    now: NOW,
    quietMs: QUIET,
    ...overrides,
  };
}

describe('partitionsToRewind', () => {
  it("rewinds an owned, quiet partition whose group commit is behind the log's end to that commit", () => {
    expect(partitionsToRewind(input())).toEqual([
      { topic: 'runs', partition: 0, offset: '80', behind: 7 },
    ]);
  });

  it('leaves a partition with a batch running, or one that had a batch within the quiet time', () => {
    const busy = new Map([[partitionKey('runs', 0), { running: 1, lastActiveAt: 0 }]]);
    expect(partitionsToRewind(input({ activity: busy }))).toEqual([]);
    const recent = new Map([[partitionKey('runs', 0), { running: 0, lastActiveAt: NOW - 1 }]]);
    expect(partitionsToRewind(input({ activity: recent }))).toEqual([]);
  });

  it('leaves a partition whose commit is waiting or under way here, and one owned by another member', () => {
    expect(partitionsToRewind(input({ uncommitted: new Set([partitionKey('runs', 0)]) }))).toEqual(
      [],
    );
    expect(partitionsToRewind(input({ owned: new Set([partitionKey('runs', 1)]) }))).toEqual([]);
  });

  it('reads from the first retained message when the commit is older, or missing and the group starts at the beginning', () => {
    const offsets = [
      { topic: 'runs', partition: 0, low: '50', high: '87', committed: '10' },
      { topic: 'runs', partition: 1, low: '100', high: '159', committed: '-1' },
    ];
    expect(partitionsToRewind(input({ offsets }))).toEqual([
      { topic: 'runs', partition: 0, offset: '50', behind: 37 },
      { topic: 'runs', partition: 1, offset: '100', behind: 59 },
    ]);
  });

  it('does not judge a partition the group never committed when it starts at the end', () => {
    const offsets = [{ topic: 'runs', partition: 0, low: '0', high: '87', committed: '-1' }];
    expect(partitionsToRewind(input({ offsets, fromBeginning: false }))).toEqual([]);
  });
});
