import { TransientError, UndecodableMessageError } from '@bridge/errors';
import { SubjectSchemaIds, type SubjectVersionsSource } from './subject-schema-ids';

const SUBJECT = 'cappella.run.completed-value';

/** A registry of subjects and their versions' ids, counting the requests made to it. */
class FakeRegistry implements SubjectVersionsSource {
  readonly subjects = new Map<string, number[]>([[SUBJECT, [11]]]);
  requests = 0;
  down = false;

  versions(subject: string): Promise<number[]> {
    this.requests += 1;
    if (this.down) return Promise.reject(new TransientError('registry down'));
    return Promise.resolve((this.subjects.get(subject) ?? []).map((_, i) => i + 1));
  }

  schemaIdOf(subject: string, version: number): Promise<number> {
    this.requests += 1;
    return Promise.resolve((this.subjects.get(subject) ?? [])[version - 1]);
  }
}

function gate(registry: FakeRegistry, minRefreshIntervalMs = 1_000) {
  let now = 1_000_000;
  const ids = new SubjectSchemaIds(registry, {
    minRefreshIntervalMs,
    refusedCacheSize: 100,
    refusedTtlMs: 60_000,
    now: () => now,
  });
  return { ids, advance: (ms: number) => (now += ms) };
}

describe('SubjectSchemaIds', () => {
  it('accepts ids registered under the subject, listing it once', async () => {
    const registry = new FakeRegistry();
    const { ids } = gate(registry);
    await ids.check(SUBJECT, 11);
    await ids.check(SUBJECT, 11);
    expect(registry.requests).toBe(2); // the version list and version 1
  });

  it('refuses an id registered under another subject', async () => {
    const registry = new FakeRegistry();
    registry.subjects.set('other-value', [12]);
    const { ids } = gate(registry);
    await expect(ids.check(SUBJECT, 12)).rejects.toThrow(
      new UndecodableMessageError(`schema id 12 is not registered under subject ${SUBJECT}`),
    );
  });

  it('learns a version registered later from its first record', async () => {
    const registry = new FakeRegistry();
    const { ids, advance } = gate(registry);
    await ids.check(SUBJECT, 11);
    registry.subjects.set(SUBJECT, [11, 15]);
    advance(1_000);
    await ids.check(SUBJECT, 15);
    // One more listing, and only the new version fetched.
    expect(registry.requests).toBe(4);
  });

  it('costs one listing per interval whatever the number of made-up ids, and bounded memory', async () => {
    const registry = new FakeRegistry();
    const { ids, advance } = gate(registry, 1_000);
    let refused = 0;
    for (let i = 0; i < 10_000; i += 1) {
      advance(1); // 10,000 records over 10 s
      await ids.check(SUBJECT, 1_000_000 + i).catch((error: unknown) => {
        expect(error).toBeInstanceOf(UndecodableMessageError);
        refused += 1;
      });
    }
    expect(refused).toBe(10_000);
    // The first listing fetches version 1 too; then at most one listing per second.
    expect(registry.requests).toBeLessThanOrEqual(2 + 10);
    expect(ids.stats().refusedIds).toBeLessThanOrEqual(100);
    expect(ids.stats().knownIds).toBe(1);
  });

  it('remembers a refusal for a while: the same made-up id triggers no listing', async () => {
    const registry = new FakeRegistry();
    const { ids, advance } = gate(registry, 0);
    await expect(ids.check(SUBJECT, 99)).rejects.toThrow(UndecodableMessageError);
    const after = registry.requests;
    advance(10_000);
    await expect(ids.check(SUBJECT, 99)).rejects.toThrow(UndecodableMessageError);
    expect(registry.requests).toBe(after);
    advance(60_001);
    await expect(ids.check(SUBJECT, 99)).rejects.toThrow(UndecodableMessageError);
    expect(registry.requests).toBe(after + 1);
  });

  it('shares one listing between records that wait for it', async () => {
    const registry = new FakeRegistry();
    const { ids } = gate(registry);
    await Promise.all([ids.check(SUBJECT, 11), ids.check(SUBJECT, 11), ids.check(SUBJECT, 11)]);
    expect(registry.requests).toBe(2);
  });

  it('passes a registry outage on as transient, and lists again at once after it', async () => {
    const registry = new FakeRegistry();
    registry.down = true;
    const { ids } = gate(registry, 60_000);
    await expect(ids.check(SUBJECT, 11)).rejects.toThrow(TransientError);
    registry.down = false;
    await expect(ids.check(SUBJECT, 11)).resolves.toBeUndefined();
  });

  it('accepts an id this process registered without asking', async () => {
    const registry = new FakeRegistry();
    const { ids } = gate(registry);
    ids.remember(SUBJECT, 40);
    await ids.check(SUBJECT, 40);
    expect(registry.requests).toBe(0);
  });
});
