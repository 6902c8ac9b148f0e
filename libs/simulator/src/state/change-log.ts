/**
 * Items kept in change order, for the components' paged listings (`GET /cappella/runs`,
 * `GET /hippo/entities`).
 *
 * Every change appends the item with a new, ever-increasing sequence number and retires its
 * previous position, so a listing returns the oldest change first and a cursor (the sequence of
 * the last item seen) resumes exactly at what changed after it: incremental scans depend on
 * that. Retired positions are skipped, then compacted away in bulk, so a change is
 * O(1) and a page is a binary search plus the page itself. The log holds no index of its own:
 * owners keep an item's position next to the item (one Map entry per item, not two).
 */

export interface ChangePosition<T> {
  readonly seq: number;
  readonly item: T;
  live: boolean;
}

export interface ChangePage<T> {
  items: T[];
  /** Sequence of the last returned item, or null when the page is empty. */
  lastSeq: number | null;
  /** True when items changed after the last returned one. */
  more: boolean;
}

const COMPACT_MIN_DEAD = 1_024;

export class ChangeLog<T> {
  /** Never reset, not even by `clear()`: an old cursor must not skip changes of a new world. */
  private seq = 0;
  private positions: ChangePosition<T>[] = [];
  private dead = 0;

  /** Appends the item as the newest change, retiring `replaces` (its previous position). */
  append(item: T, replaces?: ChangePosition<T>): ChangePosition<T> {
    this.retire(replaces);
    this.seq += 1;
    const position: ChangePosition<T> = { seq: this.seq, item, live: true };
    this.positions.push(position);
    return position;
  }

  retire(position: ChangePosition<T> | undefined): void {
    if (!position?.live) return;
    position.live = false;
    this.dead += 1;
    if (this.dead >= COMPACT_MIN_DEAD && this.dead * 2 > this.positions.length) {
      this.positions = this.positions.filter((p) => p.live);
      this.dead = 0;
    }
  }

  get liveCount(): number {
    return this.positions.length - this.dead;
  }

  /** Items changed after `afterSeq`, oldest change first. */
  page(afterSeq: number, limit: number): ChangePage<T> {
    const items: T[] = [];
    let lastSeq: number | null = null;
    let index = this.firstAfter(afterSeq);
    for (; index < this.positions.length && items.length < limit; index += 1) {
      const position = this.positions[index];
      if (!position.live) continue;
      items.push(position.item);
      lastSeq = position.seq;
    }
    while (index < this.positions.length && !this.positions[index].live) index += 1;
    return { items, lastSeq, more: index < this.positions.length };
  }

  /** Live items in change order (oldest first). */
  *values(): IterableIterator<T> {
    for (const position of this.positions) if (position.live) yield position.item;
  }

  clear(): void {
    for (const position of this.positions) position.live = false;
    this.positions = [];
    this.dead = 0;
  }

  private firstAfter(seq: number): number {
    let low = 0;
    let high = this.positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.positions[mid].seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** A cursor the client sent is not one this simulator issued (answered 400). */
export class InvalidCursorError extends Error {}

/** Cursors are opaque to clients: base64url of the change sequence. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`c${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^c(\d{1,15})$/.exec(decoded);
  if (!match || encodeCursor(Number(match[1])) !== cursor) {
    throw new InvalidCursorError(`bad cursor: ${cursor.slice(0, 64)}`);
  }
  return Number(match[1]);
}

/** The `next_cursor` of a page: null when nothing changed after it. */
export function nextCursor(page: ChangePage<unknown>): string | null {
  return page.more && page.lastSeq !== null ? encodeCursor(page.lastSeq) : null;
}
