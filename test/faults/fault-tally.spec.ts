import { judgeFinding, tallyFindings, type Evidence, type FindingRow } from './fault-tally';

const published = (eventType: string, id: string): FindingRow => ({
  eventType,
  outboundEventId: id,
  publishedAt: new Date(0),
});

const evidence = (over: Partial<Evidence> = {}): Evidence => ({
  rows: [published('bridge.sync.ok', 'e1')],
  deliveries: new Map([['e1', 1]]),
  repairs: 0,
  ...over,
});

const ok = { subject: 'r1', finding: 'bridge.sync.ok' as const, published: true, repaired: false };
const repairedMismatch = {
  subject: 'r2',
  finding: 'bridge.sync.mismatch' as const,
  published: true,
  repaired: true,
};

describe('fault tally', () => {
  it('accepts a run with its one published finding', () => {
    expect(judgeFinding(ok, evidence())).toEqual({ problem: undefined, resent: 0 });
  });

  it('counts a run without a finding, or with an unpublished one, as lost', () => {
    expect(judgeFinding(ok, evidence({ rows: [] })).problem?.kind).toBe('lost');
    const unpublished = { ...published('bridge.sync.ok', 'e1'), publishedAt: null };
    expect(judgeFinding(ok, evidence({ rows: [unpublished] })).problem?.why).toMatch(/outbox/);
    expect(judgeFinding(ok, evidence({ deliveries: new Map() })).problem?.why).toMatch(
      /never seen/,
    );
  });

  it('counts a second finding or a second repair as a duplicate', () => {
    const twice = [published('bridge.sync.ok', 'e1'), published('bridge.sync.ok', 'e2')];
    expect(judgeFinding(ok, evidence({ rows: twice })).problem?.kind).toBe('duplicated');
    const mismatch = evidence({ rows: [published('bridge.sync.mismatch', 'e1')] });
    expect(judgeFinding(repairedMismatch, { ...mismatch, repairs: 1 }).problem).toBeUndefined();
    expect(judgeFinding(repairedMismatch, { ...mismatch, repairs: 2 }).problem?.kind).toBe(
      'duplicated',
    );
    expect(judgeFinding(repairedMismatch, { ...mismatch, repairs: 0 }).problem?.why).toMatch(
      /never repaired/,
    );
    expect(judgeFinding(ok, evidence({ repairs: 1 })).problem?.kind).toBe('duplicated');
  });

  it('does not ask a clean cache, which is only recorded, to be published', () => {
    const clean = {
      subject: 'ev-1',
      finding: 'bridge.sync.cache_clean' as const,
      published: false,
      repaired: false,
    };
    const recorded = {
      eventType: 'bridge.sync.cache_clean',
      outboundEventId: null,
      publishedAt: null,
    };
    expect(
      judgeFinding(clean, evidence({ rows: [recorded], deliveries: new Map() })).problem,
    ).toBeUndefined();
    expect(
      judgeFinding({ ...clean, published: true }, evidence({ rows: [recorded] })).problem?.kind,
    ).toBe('lost');
  });

  it('counts the wrong finding as wrong, and a re-sent copy of the same event id as resent only', () => {
    expect(judgeFinding(repairedMismatch, evidence()).problem?.kind).toBe('wrong');
    expect(judgeFinding(ok, evidence({ deliveries: new Map([['e1', 3]]) }))).toEqual({
      problem: undefined,
      resent: 2,
    });
  });

  it('adds the verdicts up, naming each run with a problem', () => {
    const tally = tallyFindings([ok, { ...ok, subject: 'r3' }, repairedMismatch], (subject) =>
      subject === 'r3' ? evidence({ rows: [] }) : evidence(),
    );
    expect(tally).toMatchObject({ processed: 1, lost: 1, wrong: 1, duplicated: 0 });
    expect(tally.problems).toEqual([
      'r3: no finding',
      'r2: bridge.sync.ok, expected bridge.sync.mismatch',
    ]);
  });

  it('counts double repairs apart, even where another problem came first', () => {
    const twiceRepaired = (subject: string) =>
      subject === 'r2'
        ? evidence({ rows: [published('bridge.sync.mismatch', 'e1')], repairs: 2 })
        : evidence({ rows: [], repairs: 1 });
    const tally = tallyFindings([repairedMismatch, ok], twiceRepaired);
    // r2 is a duplicate by its repairs; r1 is lost first, and repaired though nothing was owed.
    expect(tally).toMatchObject({ lost: 1, duplicated: 1, doubleRepairs: 2 });
  });
});
