/**
 * The pure part of a digest scan: which slot ranges agree (nothing more is read of them), which
 * differ, and whether a differing range is split into buckets again or small enough to list.
 * `ScanRunner` asks the components for the digests and the listings; this decides.
 */
import type { DigestBucket, SlotRange } from '@bridge/contracts';

/** A range both components digested, with what each holds there. */
export interface ComparedRange extends SlotRange {
  cappellaCount: number;
  hippoCount: number;
}

/** What to do with the ranges that differ: digest them again in buckets, or list them. */
export interface BisectionPlan {
  split: SlotRange[];
  list: SlotRange[];
}

/**
 * The buckets whose count or hash differ between the two answers. The answers must cover the
 * same buckets (both sides cut a range the same way); anything else is a component error, not
 * a difference to bisect.
 */
export function differingBuckets(
  cappella: readonly DigestBucket[],
  hippo: readonly DigestBucket[],
): ComparedRange[] {
  if (cappella.length !== hippo.length) {
    throw new Error(
      `digest answers do not line up: ${cappella.length} bucket(s) from Cappella, ${hippo.length} from Hippo`,
    );
  }
  const differing: ComparedRange[] = [];
  cappella.forEach((left, i) => {
    const right = hippo[i];
    if (left.from !== right.from || left.to !== right.to) {
      throw new Error(
        `digest answers do not line up at bucket ${i}: [${left.from}, ${left.to}) against [${right.from}, ${right.to})`,
      );
    }
    if (left.count !== right.count || left.hash !== right.hash) {
      differing.push({
        from: left.from,
        to: left.to,
        cappellaCount: left.count,
        hippoCount: right.count,
      });
    }
  });
  return differing;
}

/**
 * Lists a differing range when listing it costs no more than digesting it further would save:
 * it holds at most `listLimit` pairs on the larger side, or it is one slot wide. Adjacent
 * ranges to list are merged while the merged range stays within the limit, so a cluster of
 * small differences costs one listing.
 */
export function planBisection(
  differing: readonly ComparedRange[],
  listLimit: number,
): BisectionPlan {
  const split: SlotRange[] = [];
  const list: SlotRange[] = [];
  let pending: (SlotRange & { pairs: number }) | null = null;
  const flush = () => {
    if (pending) list.push({ from: pending.from, to: pending.to });
    pending = null;
  };
  for (const range of differing) {
    const pairs = Math.max(range.cappellaCount, range.hippoCount);
    if (pairs > listLimit && range.to - range.from > 1) {
      flush();
      split.push({ from: range.from, to: range.to });
      continue;
    }
    if (pending && pending.to === range.from && pending.pairs + pairs <= listLimit) {
      pending = { from: pending.from, to: range.to, pairs: pending.pairs + pairs };
    } else {
      flush();
      pending = { from: range.from, to: range.to, pairs };
    }
  }
  flush();
  return { split, list };
}
