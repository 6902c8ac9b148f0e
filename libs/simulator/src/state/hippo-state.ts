/**
 * Hippo's in-memory state: entities with availability and provenance, in the shapes of its API.
 *
 * Lag is modelled by a visibility time: an entity written with lag waits in a queue and is
 * invisible to every read (404, `exists: false`, absent from the listing) until its time has
 * come; it then enters the change order at that moment, so an incremental scan whose cursor has
 * already passed the write still sees the entity when it appears. Deleted entities leave the
 * state entirely; unavailable ones stay with `available: false`.
 *
 * A stored entity is one small record sharing the run's key object; the API shapes are built
 * when asked for, which keeps a long benchmark's million entities affordable.
 */
import {
  hippoDigestRun,
  type DigestBucket,
  type EntityKey,
  type SlotRange,
} from '@bridge/contracts';
import type { Page } from './cappella-state';
import { ChangeLog, decodeCursor, nextCursor, type ChangePosition } from './change-log';
import { EntityMap } from './entity-key';
import { SlotIndex, type FiledPair } from './slot-index';

export interface EntityView {
  entity_type: string;
  external_id: string;
  available: boolean;
  provenance: { run_id: string };
}

export interface LookupResult {
  entity_type: string;
  external_id: string;
  exists: boolean;
  /** Whether Hippo offers the entity (an addition to the lookup contract; absent means `exists`). */
  available: boolean;
  provenance: { run_id: string } | null;
}

/** A visible entity as a reader of the whole state sees it: the stored record, not a copy. */
export interface StoredEntity {
  readonly key: EntityKey;
  /** The run its provenance names. */
  readonly runId: string;
  readonly available: boolean;
}

interface EntityRecord {
  key: EntityKey;
  runId: string;
  available: boolean;
  visibleAt: number;
  /** Position in the change order; absent while the entity is still lagging. */
  position?: ChangePosition<EntityRecord>;
  /** Its filing for range digests, while it is visible. */
  filed?: FiledPair<EntityRecord>;
}

export type AvailabilityChange = 'DELETED' | 'UNAVAILABLE';

const PENDING_COMPACT_MIN = 1_024;

export class HippoState {
  /** Every entity Hippo holds, visible or still lagging. */
  private readonly entities = new EntityMap<EntityRecord>();
  private readonly changes = new ChangeLog<EntityRecord>();
  /** Visible entities by digest slot, for the range-digest capability. */
  private readonly slots = new SlotIndex<EntityRecord>();
  /** Lagging records ordered by `visibleAt`; `pendingHead` skips the promoted ones. */
  private pending: EntityRecord[] = [];
  private pendingHead = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /**
   * Writes (or upserts) an entity with provenance `runId`, visible from `visibleAt` on
   * (default: at once). An upsert moves the entity to the end of the change order; an upsert
   * with lag hides the old version until the new one is committed.
   */
  write(key: EntityKey, runId: string, visibleAt = 0): void {
    this.replace(key, { key, runId, available: true, visibleAt });
  }

  /** The visible entity, or undefined (never written, deleted, or still lagging). */
  get(key: EntityKey): EntityView | undefined {
    this.promoteDue();
    const record = this.entities.get(key);
    return record?.position ? view(record) : undefined;
  }

  /** Bulk lookup: one result per key, in request order (Bridge matches them by position). */
  lookup(keys: readonly EntityKey[]): LookupResult[] {
    this.promoteDue();
    const results = new Array<LookupResult>(keys.length);
    for (let i = 0; i < keys.length; i += 1) {
      const { entity_type, external_id } = keys[i];
      const record = this.entities.get(keys[i]);
      results[i] = record?.position
        ? {
            entity_type,
            external_id,
            exists: true,
            available: record.available,
            provenance: { run_id: record.runId },
          }
        : { entity_type, external_id, exists: false, available: false, provenance: null };
    }
    return results;
  }

  /** @throws InvalidCursorError */
  list(after: string | undefined, limit: number): Page<EntityView> {
    this.promoteDue();
    const page = this.changes.page(decodeCursor(after), limit);
    return { items: page.items.map(view), next_cursor: nextCursor(page) };
  }

  /** True when the entity is visible and available (not lagging, deleted or unavailable). */
  isAvailable(key: EntityKey): boolean {
    this.promoteDue();
    const record = this.entities.get(key);
    return record?.position !== undefined && record.available;
  }

  /**
   * Every visible entity, available or not, oldest change first (entities still lagging are
   * not visible yet). The stored records themselves, so reading a million costs no copies.
   */
  visibleEntities(): IterableIterator<StoredEntity> {
    this.promoteDue();
    return this.changes.values();
  }

  /** True when Hippo holds the entity, visible or still lagging. */
  has(key: EntityKey): boolean {
    return this.entities.has(key);
  }

  /** Up to `count` available, visible entities, oldest change first. */
  availableEntities(count: number): EntityKey[] {
    this.promoteDue();
    const picked: EntityKey[] = [];
    for (const record of this.changes.values()) {
      if (picked.length >= count) break;
      if (record.available) picked.push(record.key);
    }
    return picked;
  }

  /** Deletes the entity or marks it unavailable (at once); false when Hippo does not hold it. */
  changeAvailability(key: EntityKey, change: AvailabilityChange): boolean {
    this.promoteDue();
    const record = this.entities.get(key);
    if (!record) return false;
    if (change === 'DELETED') {
      this.hide(record);
      this.entities.delete(key);
    } else {
      this.replace(record.key, {
        key: record.key,
        runId: record.runId,
        available: false,
        visibleAt: 0,
      });
    }
    return true;
  }

  get visibleCount(): number {
    this.promoteDue();
    return this.changes.liveCount;
  }

  /** The digest of the visible entities over `range`, in `buckets` buckets. */
  entityDigest(range: SlotRange, buckets: number): DigestBucket[] {
    this.promoteDue();
    return this.slots.digest(range, buckets);
  }

  /** How many visible entities with provenance `range` holds. */
  entityCountIn(range: SlotRange): number {
    this.promoteDue();
    return this.slots.countIn(range);
  }

  /** The visible entities in `range`. */
  entitiesIn(range: SlotRange): EntityView[] {
    this.promoteDue();
    const views: EntityView[] = [];
    for (const { item } of this.slots.pairsIn(range)) views.push(view(item));
    return views;
  }

  clear(): void {
    this.entities.clear();
    this.changes.clear();
    this.slots.clear();
    this.pending = [];
    this.pendingHead = 0;
  }

  private replace(key: EntityKey, record: EntityRecord): void {
    const previous = this.entities.get(key);
    if (previous) this.hide(previous);
    this.entities.set(key, record);
    if (record.visibleAt <= this.now()) this.show(record);
    else this.enqueue(record);
  }

  /** The record enters the change order and the digests. */
  private show(record: EntityRecord): void {
    record.position = this.changes.append(record);
    record.filed = this.slots.add(
      record.key,
      hippoDigestRun(record.runId, record.available),
      record,
    );
  }

  /** The record leaves the change order and the digests (a no-op while it lags). */
  private hide(record: EntityRecord): void {
    this.changes.retire(record.position);
    if (record.filed) this.slots.remove(record.filed);
    record.filed = undefined;
  }

  private enqueue(record: EntityRecord): void {
    const last = this.pending[this.pending.length - 1];
    if (this.pending.length === this.pendingHead || last.visibleAt <= record.visibleAt) {
      this.pending.push(record); // the common case: one lag for every write
      return;
    }
    let low = this.pendingHead;
    let high = this.pending.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.pending[mid].visibleAt <= record.visibleAt) low = mid + 1;
      else high = mid;
    }
    this.pending.splice(low, 0, record);
  }

  /** Moves every entity whose time has come into the change order (cheap when none is due). */
  private promoteDue(): void {
    if (this.pendingHead === this.pending.length) return;
    const now = this.now();
    while (this.pendingHead < this.pending.length) {
      const record = this.pending[this.pendingHead];
      if (record.visibleAt > now) break;
      this.pendingHead += 1;
      // Skip a record that was deleted or rewritten while it was lagging.
      if (this.entities.get(record.key) === record) this.show(record);
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (
      this.pendingHead >= PENDING_COMPACT_MIN &&
      this.pendingHead * 2 > this.pending.length
    ) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }
}

function view(record: EntityRecord): EntityView {
  return {
    entity_type: record.key.entity_type,
    external_id: record.key.external_id,
    available: record.available,
    provenance: { run_id: record.runId },
  };
}
