/**
 * What the simulated Cappella and Hippo keep for the range-digest capability: the pairs they
 * hold, (entity key, run), filed by digest slot, with a count and hash sum per slot kept up to
 * date as pairs come and go. A digest of any range sums slots; a listing of a range reads only
 * the pairs filed there. Nothing is recomputed from the whole state when Bridge asks.
 */
import {
  DIGEST_SLOTS,
  bucketRanges,
  digestSlot,
  hashToHex,
  pairHash,
  addHashes,
  subtractHashes,
  type DigestBucket,
  type EntityKey,
  type SlotRange,
} from '@bridge/contracts';

/**
 * A pair as filed: its slot and hash computed once, when it was added, and the holder's own
 * object for it (the run, the entity record), so filing copies nothing.
 */
export interface FiledPair<T> {
  readonly slot: number;
  readonly hash: bigint;
  readonly key: EntityKey;
  readonly item: T;
}

export class SlotIndex<T> {
  private readonly counts = new Uint32Array(DIGEST_SLOTS);
  private readonly sums = new BigUint64Array(DIGEST_SLOTS);
  private readonly filed: Array<Set<FiledPair<T>> | undefined> = new Array<
    Set<FiledPair<T>> | undefined
  >(DIGEST_SLOTS);
  private total = 0;

  /** Files `item` as the pair (key, runId); returns the filing, needed to remove it again. */
  add(key: EntityKey, runId: string, item: T): FiledPair<T> {
    const pair: FiledPair<T> = { slot: digestSlot(key), hash: pairHash(key, runId), key, item };
    let slot = this.filed[pair.slot];
    if (!slot) {
      slot = new Set();
      this.filed[pair.slot] = slot;
    }
    slot.add(pair);
    this.counts[pair.slot] += 1;
    this.sums[pair.slot] = addHashes(this.sums[pair.slot], pair.hash);
    this.total += 1;
    return pair;
  }

  remove(pair: FiledPair<T>): void {
    const slot = this.filed[pair.slot];
    if (!slot?.delete(pair)) return;
    this.counts[pair.slot] -= 1;
    this.sums[pair.slot] = subtractHashes(this.sums[pair.slot], pair.hash);
    this.total -= 1;
  }

  get size(): number {
    return this.total;
  }

  /** The digest of `range` cut into `buckets` buckets (`bucketRanges`). */
  digest(range: SlotRange, buckets: number): DigestBucket[] {
    return bucketRanges(range, buckets).map(({ from, to }) => {
      let count = 0;
      let sum = 0n;
      for (let slot = from; slot < to; slot += 1) {
        if (this.counts[slot] === 0) continue;
        count += this.counts[slot];
        sum = addHashes(sum, this.sums[slot]);
      }
      return { from, to, count, hash: hashToHex(sum) };
    });
  }

  /** How many pairs `range` holds. */
  countIn(range: SlotRange): number {
    let count = 0;
    for (let slot = range.from; slot < range.to; slot += 1) count += this.counts[slot];
    return count;
  }

  /** The pairs filed in `range`, slot by slot. */
  *pairsIn(range: SlotRange): IterableIterator<FiledPair<T>> {
    for (let slot = range.from; slot < range.to; slot += 1) {
      const filed = this.filed[slot];
      if (filed) yield* filed;
    }
  }

  clear(): void {
    this.counts.fill(0);
    this.sums.fill(0n);
    this.filed.fill(undefined);
    this.total = 0;
  }
}
