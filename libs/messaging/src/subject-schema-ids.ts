/**
 * Which schema ids may be decoded on which topic: only those registered under the topic's
 * subject (`<topic>-value`). The producer writes the id into every record's header, so without
 * this gate a record could make a consumer read it with any schema in the registry (another
 * topic's, a test's), and a stream of ids that exist nowhere would make it ask the registry
 * once per record and keep every answer.
 *
 * The ids of a subject come from listing its versions (one request, plus one per version not
 * seen before). A record whose id is not among them triggers a new listing, at most one per
 * subject every `minRefreshIntervalMs`; an id still missing from a listing made after it
 * arrived is remembered as refused in a bounded cache with an expiry. So a flood of made-up
 * ids costs one listing per interval and a fixed amount of memory, whatever the number of
 * records. The price: a record written with a version registered within one interval of a
 * listing that another unknown id triggered is refused (dead-lettered, where an operator can
 * requeue it); a new version is otherwise learnt from its first record.
 */
import { LRUCache } from 'lru-cache';
import { UndecodableMessageError } from '@bridge/errors';

/** The registry calls the gate needs; `RegistryAvroCodec` answers them over HTTP. */
export interface SubjectVersionsSource {
  /** The version numbers under `subject`; empty when the subject does not exist. */
  versions(subject: string): Promise<number[]>;
  /** The schema id of one version of `subject`. */
  schemaIdOf(subject: string, version: number): Promise<number>;
}

export interface SubjectSchemaIdsOptions {
  minRefreshIntervalMs: number;
  /** Most refused (subject, id) pairs remembered; the oldest go first. */
  refusedCacheSize?: number;
  /** How long a refusal is remembered before the id may trigger a listing again. */
  refusedTtlMs?: number;
  now?: () => number;
}

interface SubjectState {
  readonly ids: Set<number>;
  readonly versions: Set<number>;
  /** When the last listing started; -Infinity before the first. */
  listedAt: number;
  listing?: { startedAt: number; done: Promise<void> };
}

export class SubjectSchemaIds {
  private readonly subjects = new Map<string, SubjectState>();
  private readonly refused: LRUCache<string, true>;
  private readonly now: () => number;
  private registryRequests = 0;

  constructor(
    private readonly source: SubjectVersionsSource,
    private readonly options: SubjectSchemaIdsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.refused = new LRUCache<string, true>({
      max: options.refusedCacheSize ?? 10_000,
      ttl: options.refusedTtlMs ?? 60_000,
      perf: { now: this.now },
      ttlResolution: 0,
    });
  }

  /**
   * Resolves when `id` is registered under `subject`; otherwise throws an
   * `UndecodableMessageError`. A registry failure while listing rejects with that failure.
   */
  async check(subject: string, id: number): Promise<void> {
    const state = this.stateOf(subject);
    if (state.ids.has(id)) return;
    const key = `${subject}\u0000${id}`;
    if (this.refused.has(key)) throw notRegistered(subject, id);
    const arrivedAt = this.now();
    let listing = state.listing;
    if (!listing) {
      if (arrivedAt - state.listedAt < this.options.minRefreshIntervalMs) {
        throw notRegistered(subject, id);
      }
      listing = this.list(subject, state);
    }
    await listing.done;
    if (state.ids.has(id)) return;
    // Only a listing that started after the record arrived proves the id absent.
    if (listing.startedAt >= arrivedAt) this.refused.set(key, true);
    throw notRegistered(subject, id);
  }

  /** Records an id known to be registered under `subject` (one this process registered). */
  remember(subject: string, id: number): void {
    this.stateOf(subject).ids.add(id);
    this.refused.delete(`${subject}\u0000${id}`);
  }

  /** Sizes and costs, for metrics and tests. */
  stats(): { knownIds: number; refusedIds: number; registryRequests: number } {
    let knownIds = 0;
    for (const state of this.subjects.values()) knownIds += state.ids.size;
    return { knownIds, refusedIds: this.refused.size, registryRequests: this.registryRequests };
  }

  private stateOf(subject: string): SubjectState {
    let state = this.subjects.get(subject);
    if (!state) {
      state = { ids: new Set(), versions: new Set(), listedAt: -Infinity };
      this.subjects.set(subject, state);
    }
    return state;
  }

  private list(subject: string, state: SubjectState): { startedAt: number; done: Promise<void> } {
    const startedAt = this.now();
    const listedBefore = state.listedAt;
    state.listedAt = startedAt;
    const done = (async () => {
      this.registryRequests += 1;
      const versions = await this.source.versions(subject);
      for (const version of versions) {
        if (state.versions.has(version)) continue;
        this.registryRequests += 1;
        state.ids.add(await this.source.schemaIdOf(subject, version));
        state.versions.add(version);
      }
    })()
      .catch((error: unknown) => {
        // A listing that failed proved nothing: the next unknown id may list at once.
        state.listedAt = listedBefore;
        throw error;
      })
      .finally(() => {
        state.listing = undefined;
      });
    const listing = { startedAt, done };
    state.listing = listing;
    return listing;
  }
}

function notRegistered(subject: string, id: number): UndecodableMessageError {
  return new UndecodableMessageError(`schema id ${id} is not registered under subject ${subject}`);
}
