import { DIGEST_SLOTS, digestSlot } from '@bridge/contracts';
import { SlotIndex } from './slot-index';

const sample = (id: string) => ({ entity_type: 'sample', external_id: id });
const WHOLE = { from: 0, to: DIGEST_SLOTS };

describe('SlotIndex', () => {
  it('gives the same digest for the same pairs whatever the order they came in', () => {
    const pairs = Array.from({ length: 300 }, (_, i) => [sample(`S${i}`), `run-${i % 9}`] as const);
    const forward = new SlotIndex<string>();
    const backward = new SlotIndex<string>();
    pairs.forEach(([key, run]) => forward.add(key, run, key.external_id));
    [...pairs].reverse().forEach(([key, run]) => backward.add(key, run, key.external_id));
    expect(backward.digest(WHOLE, 32)).toEqual(forward.digest(WHOLE, 32));
    expect(forward.size).toBe(300);
  });

  it('changes one bucket’s hash, not its count, when one pair names another run', () => {
    const original = new SlotIndex<number>();
    const resubmitted = new SlotIndex<number>();
    for (let i = 0; i < 300; i += 1) {
      original.add(sample(`S${i}`), `run-${i}`, i);
      resubmitted.add(sample(`S${i}`), i === 42 ? 'run-42-again' : `run-${i}`, i);
    }
    const before = original.digest(WHOLE, 16);
    const after = resubmitted.digest(WHOLE, 16);
    const changed = after.filter((bucket, i) => bucket.hash !== before[i].hash);
    expect(changed).toHaveLength(1);
    const slot = digestSlot(sample('S42'));
    expect(changed[0].from <= slot && slot < changed[0].to).toBe(true);
    expect(after.map((b) => b.count)).toEqual(before.map((b) => b.count));
  });

  it('is back where it was once a pair is removed, and lists only what a range holds', () => {
    const index = new SlotIndex<string>();
    index.add(sample('A'), 'run-1', 'A');
    const before = index.digest(WHOLE, 4);
    const b = index.add(sample('B'), 'run-2', 'B');
    expect(index.digest(WHOLE, 4)).not.toEqual(before);
    const slotOfB = digestSlot(sample('B'));
    expect([...index.pairsIn({ from: slotOfB, to: slotOfB + 1 })].map((p) => p.item)).toContain(
      'B',
    );
    index.remove(b);
    index.remove(b);
    expect(index.digest(WHOLE, 4)).toEqual(before);
    expect(index.size).toBe(1);
    expect([...index.pairsIn(WHOLE)].map((p) => p.item)).toEqual(['A']);
  });

  it('sums a wide bucket as the sum of its narrow ones', () => {
    const index = new SlotIndex<number>();
    for (let i = 0; i < 500; i += 1) index.add(sample(`S${i}`), `run-${i}`, i);
    const [wide] = index.digest({ from: 1_000, to: 9_000 }, 1);
    const narrow = index.digest({ from: 1_000, to: 9_000 }, 8);
    expect(narrow.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(wide.count);
    expect(index.countIn({ from: 1_000, to: 9_000 })).toBe(wide.count);
    const total = narrow.reduce(
      (sum, bucket) => (sum + BigInt(`0x${bucket.hash}`)) % 2n ** 64n,
      0n,
    );
    expect(total).toBe(BigInt(`0x${wide.hash}`));
  });
});
