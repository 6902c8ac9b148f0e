/**
 * The most events seen within any one-second window, measured in 100-ms steps: a sliding
 * window over ten 100-ms buckets. A scanner's test uses it (through `GET /sim/hits`) to check
 * that a configured per-component rate limit was respected.
 *
 * Memory is bounded whatever the traffic: the ten buckets of the current window, their sum and
 * the running maximum. Recording is O(1): the buckets the window slides past are emptied, at
 * most ten per call. A clock that steps back counts into the newest bucket.
 */

export const BUCKET_MS = 100;
export const WINDOW_MS = 1_000;
const BUCKETS = WINDOW_MS / BUCKET_MS;

export class PeakRateMeter {
  private readonly buckets = new Uint32Array(BUCKETS);
  /** Index (time / BUCKET_MS) of the newest bucket; null before the first event. */
  private newest: number | null = null;
  private inWindow = 0;
  private highest = 0;

  /** Counts one event at `at` (epoch ms). */
  record(at: number): void {
    this.buckets[slotOf(this.slideTo(Math.floor(at / BUCKET_MS)))] += 1;
    this.inWindow += 1;
    if (this.inWindow > this.highest) this.highest = this.inWindow;
  }

  /** The most events within one window since the last reset. */
  get peak(): number {
    return this.highest;
  }

  reset(): void {
    this.buckets.fill(0);
    this.newest = null;
    this.inWindow = 0;
    this.highest = 0;
  }

  /**
   * Moves the window's end forward to `bucket`, emptying the buckets it passes (they fall out
   * of the window), and returns the window's end: the bucket the event counts in.
   */
  private slideTo(bucket: number): number {
    const newest = this.newest;
    if (newest === null || bucket - newest >= BUCKETS) {
      this.buckets.fill(0);
      this.inWindow = 0;
      this.newest = bucket;
      return bucket;
    }
    for (let passed = newest + 1; passed <= bucket; passed += 1) {
      const slot = slotOf(passed);
      this.inWindow -= this.buckets[slot];
      this.buckets[slot] = 0;
    }
    const end = Math.max(newest, bucket);
    this.newest = end;
    return end;
  }
}

function slotOf(bucket: number): number {
  return ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
}
