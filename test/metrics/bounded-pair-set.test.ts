import { describe, expect, it } from 'vitest';
import { BoundedPairSet } from '../../src/metrics/bounded-pair-set.js';

describe('BoundedPairSet', () => {
  it('tells a new pair from one it holds, by both halves', () => {
    const s = new BoundedPairSet(10);
    expect(s.add('bob/phone', 's1')).toBe(true);
    expect(s.add('bob/phone', 's1')).toBe(false);
    // Another device committing the same smid is a pair of its own, and so is a third.
    expect(s.add('bob/laptop', 's1')).toBe(true);
    expect(s.add('bob/laptop', 's1')).toBe(false);
    expect(s.add('bob/tablet', 's1')).toBe(true);
    expect(s.add('bob/phone', 's1')).toBe(false);
    expect(s.add('bob/phone', 's2')).toBe(true);
    expect(s.has('bob/tablet', 's1')).toBe(true);
    expect(s.has('bob/tablet', 's2')).toBe(false);
    expect(s.size).toBe(4);
  });

  it('forgets the oldest smid beyond its bound, with every device of it, never a newer one', () => {
    const s = new BoundedPairSet(3);
    s.add('a', 's1');
    s.add('b', 's1');
    s.add('a', 's2');
    expect(s.size).toBe(3);
    // A fourth pair: s1 is the oldest smid, and both its pairs go (early, never late).
    expect(s.add('a', 's3')).toBe(true);
    expect(s.has('a', 's1')).toBe(false);
    expect(s.has('b', 's1')).toBe(false);
    expect(s.has('a', 's2')).toBe(true);
    expect(s.has('a', 's3')).toBe(true);
    expect(s.size).toBe(2);
    // A forgotten pair counts as new again.
    expect(s.add('a', 's1')).toBe(true);
  });

  it('keeps the bound and the newest pairs over a long run', () => {
    const s = new BoundedPairSet(1000);
    for (let i = 0; i < 20_000; i++) {
      const smid = `m${i}`;
      expect(s.add(`r${i % 7}/d1`, smid)).toBe(true);
      // Every tenth message also reaches a second device.
      if (i % 10 === 0) expect(s.add(`r${i % 7}/d2`, smid)).toBe(true);
      expect(s.add(`r${i % 7}/d1`, smid)).toBe(false);
      expect(s.size).toBeLessThanOrEqual(1000);
    }
    expect(s.size).toBeGreaterThanOrEqual(998);
    // 1.1 pairs a smid: the last ~909 smids are held.
    expect(s.has(`r${19_999 % 7}/d1`, 'm19999')).toBe(true);
    expect(s.has(`r${(19_999 + 1) % 7}/d1`, 'm19999')).toBe(false);
    expect(s.has(`r${19_200 % 7}/d1`, 'm19200')).toBe(true);
    expect(s.has(`r${19_200 % 7}/d2`, 'm19200')).toBe(true);
    expect(s.has(`r${19_000 % 7}/d1`, 'm19000')).toBe(false);
  });
});
