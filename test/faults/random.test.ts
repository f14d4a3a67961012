import { describe, expect, it } from 'vitest';
import { createRng, rngFromState } from '../../src/faults/random.js';

describe('seeded random generator', () => {
  it('is xoshiro128** 1.1: state [1,2,3,4] yields the reference vector', () => {
    const rng = rngFromState([1, 2, 3, 4]);
    const out = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the same stream for the same seed and a different one for another seed', () => {
    const draw = (seed: string | number) => {
      const r = createRng(seed);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    expect(draw('run-42')).toEqual(draw('run-42'));
    expect(draw(7)).toEqual(draw('7'));
    expect(draw('run-42')).not.toEqual(draw('run-43'));
  });

  it('forks streams that depend on the seed path and label only, not on draws made before', () => {
    const a = createRng('s');
    const b = createRng('s');
    for (let i = 0; i < 100; i++) b.next();
    const fa = a.fork('rule:x/alice/phone#1');
    const fb = b.fork('rule:x/alice/phone#1');
    expect(Array.from({ length: 10 }, () => fa.nextUint32())).toEqual(
      Array.from({ length: 10 }, () => fb.nextUint32()),
    );
    expect(fa.seed).toBe('s/rule:x/alice/phone#1');
    const other = a.fork('rule:y/alice/phone#1');
    expect(other.nextUint32()).not.toBe(a.fork('rule:x/alice/phone#1').nextUint32());
  });

  it('draws floats in [0,1) and ints in [0,n) with a plausible spread', () => {
    const rng = createRng('spread');
    const buckets = new Array(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      buckets[rng.int(10)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const b of buckets) expect(b).toBeGreaterThan(850);
  });

  it('chance(p) hits about p of the time and consumes nothing when p is 0 or 1', () => {
    const rng = createRng('chance');
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (rng.chance(0.05)) hits++;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
    const a = createRng('c');
    const b = createRng('c');
    expect(a.chance(1)).toBe(true);
    expect(a.chance(0)).toBe(false);
    expect(a.nextUint32()).toBe(b.nextUint32());
  });
});
