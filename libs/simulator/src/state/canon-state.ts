/**
 * Canon's in-memory state: cached artifacts by entity and in change order (the listing a full
 * scan pages through, `GET /canon/artifacts?after=&limit=`), and the evictions waiting for the
 * next sweep (`POST /canon/artifacts/evict` with mode `next_sweep`).
 *
 * An artifact scheduled for the next sweep is still cached, so `GET /canon/artifacts` keeps
 * returning it until the sweep runs: that is what Canon's real sweep does, and what lets a test
 * tell "evict_on_next_sweep" from "evict_immediately".
 */
import type { EntityKey } from '@bridge/contracts';
import type { Page } from './cappella-state';
import { ChangeLog, decodeCursor, nextCursor, type ChangePosition } from './change-log';
import { EntityMap } from './entity-key';

export interface ArtifactView {
  artifact_id: string;
  entity_type: string;
  external_id: string;
}

export type EvictionMode = 'immediate' | 'next_sweep';

export interface EvictionOutcome {
  /** Known artifacts the request covered (unknown or already evicted ids are not counted). */
  accepted: string[];
  /** Artifacts removed by this request (all accepted ones when immediate, none otherwise). */
  removed: ArtifactView[];
}

export class CanonState {
  private readonly byEntity = new EntityMap<ArtifactView[]>();
  /** Each artifact with its place in the change order. */
  private readonly byId = new Map<string, ChangePosition<ArtifactView>>();
  private readonly changes = new ChangeLog<ArtifactView>();
  private readonly awaitingSweep = new Set<string>();

  /** Caches the artifact; caching an id again replaces it and moves it to the newest change. */
  add(artifact: ArtifactView): void {
    const previous = this.byId.get(artifact.artifact_id);
    if (previous) this.remove(previous.item);
    const list = this.byEntity.get(artifact);
    if (list) list.push(artifact);
    else this.byEntity.set(artifact, [artifact]);
    this.byId.set(artifact.artifact_id, this.changes.append(artifact));
  }

  /**
   * A page of every cached artifact, oldest change first, after the cursor `after` (absent:
   * from the beginning). Throws `InvalidCursorError` for a cursor this simulator did not issue.
   */
  listArtifacts(after: string | undefined, limit: number): Page<ArtifactView> {
    const page = this.changes.page(decodeCursor(after), limit);
    return { items: page.items, next_cursor: nextCursor(page) };
  }

  /** Every cached artifact, oldest change first (the scan oracle reads them all). */
  allArtifacts(): IterableIterator<ArtifactView> {
    return this.changes.values();
  }

  /** True when Canon caches at least one artifact of the entity. */
  hasArtifacts(key: EntityKey): boolean {
    return (this.byEntity.get(key)?.length ?? 0) > 0;
  }

  artifactsOf(key: EntityKey): readonly ArtifactView[] {
    return this.byEntity.get(key) ?? [];
  }

  /** The cached artifacts of all `keys`, in key order. */
  artifactsFor(keys: readonly EntityKey[]): ArtifactView[] {
    const result: ArtifactView[] = [];
    for (const key of keys) {
      const list = this.byEntity.get(key);
      if (list) result.push(...list);
    }
    return result;
  }

  /** Removes every artifact of the entity (Canon reacting correctly to a deletion). */
  removeFor(key: EntityKey): ArtifactView[] {
    const list = this.byEntity.get(key) ?? [];
    this.byEntity.delete(key);
    for (const artifact of list) {
      this.changes.retire(this.byId.get(artifact.artifact_id));
      this.byId.delete(artifact.artifact_id);
      this.awaitingSweep.delete(artifact.artifact_id);
    }
    return list;
  }

  evict(artifactIds: readonly string[], mode: EvictionMode): EvictionOutcome {
    const accepted: string[] = [];
    const removed: ArtifactView[] = [];
    for (const artifactId of new Set(artifactIds)) {
      const artifact = this.byId.get(artifactId)?.item;
      if (!artifact) continue;
      if (mode === 'immediate') {
        this.remove(artifact);
        removed.push(artifact);
        accepted.push(artifactId);
      } else if (!this.awaitingSweep.has(artifactId)) {
        this.awaitingSweep.add(artifactId);
        accepted.push(artifactId);
      }
    }
    return { accepted, removed };
  }

  /** Runs the sweep: removes everything scheduled for it. */
  sweep(): ArtifactView[] {
    const removed: ArtifactView[] = [];
    for (const artifactId of this.awaitingSweep) {
      const artifact = this.byId.get(artifactId)?.item;
      if (artifact) {
        this.remove(artifact);
        removed.push(artifact);
      }
    }
    this.awaitingSweep.clear();
    return removed;
  }

  get pendingSweepCount(): number {
    return this.awaitingSweep.size;
  }

  get artifactCount(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byEntity.clear();
    this.byId.clear();
    this.changes.clear();
    this.awaitingSweep.clear();
  }

  private remove(artifact: ArtifactView): void {
    this.changes.retire(this.byId.get(artifact.artifact_id));
    this.byId.delete(artifact.artifact_id);
    this.awaitingSweep.delete(artifact.artifact_id);
    const remaining = (this.byEntity.get(artifact) ?? []).filter((a) => a !== artifact);
    if (remaining.length > 0) this.byEntity.set(artifact, remaining);
    else this.byEntity.delete(artifact);
  }
}
