import { describe, expect, it } from 'vitest';
import { BoundedPairMap } from '../../src/metrics/bounded-pair-map.js';

/**
 * On a map of bound 2 whose only first key is `a`: sets 1 and 2, deletes 1 and sets it again,
 * then sets 3. Pair 2 is then the oldest held (1 came back after it), so 2 is the one forgotten.
 */
function forgetsInNewPlace(m: BoundedPairMap<number>, a: string): void {
  m.set(a, '1', 1);
  m.set(a, '2', 2);
  m.delete(a, '1');
  m.set(a, '1', 10);
  m.set(a, '3', 3);
  expect(m.has(a, '2')).toBe(false);
  expect(m.get(a, '1')).toBe(10);
  expect(m.get(a, '3')).toBe(3);
  expect(m.size).toBe(2);
}

describe('BoundedPairMap', () => {
  it('keeps pairs apart by both halves', () => {
    const m = new BoundedPairMap<number>(10);
    m.set('alice/phone', '~1', 1);
    m.set('bob/phone', '~1', 2);
    expect(m.get('alice/phone', '~1')).toBe(1);
    expect(m.get('bob/phone', '~1')).toBe(2);
    expect(m.has('alice/phone', '~2')).toBe(false);
    expect(m.delete('alice/phone', '~1')).toBe(true);
    expect(m.delete('alice/phone', '~1')).toBe(false);
    expect(m.get('bob/phone', '~1')).toBe(2);
    expect(m.size).toBe(1);
  });

  it('forgets the oldest pair beyond its bound, and an update forgets nothing', () => {
    const m = new BoundedPairMap<number>(3);
    m.set('a', '1', 1);
    m.set('b', '1', 2);
    m.set('a', '2', 3);
    m.set('b', '1', 20);
    expect(m.size).toBe(3);
    m.set('c', '1', 4);
    expect(m.has('a', '1')).toBe(false);
    expect(m.get('b', '1')).toBe(20);
    expect(m.get('a', '2')).toBe(3);
    expect(m.get('c', '1')).toBe(4);
  });

  it('skips pairs deleted before their turn and keeps the bound over a long run', () => {
    const m = new BoundedPairMap<number>(100);
    const actor = (i: number) => `u${i % 7}`;
    for (let i = 0; i < 50_000; i++) {
      m.set(actor(i), String(i), i);
      // Most entries settle (deleted) soon, as answered requests do; every tenth never does.
      if (i % 10 !== 0 && i >= 5) m.delete(actor(i - 5), String(i - 5));
      expect(m.size).toBeLessThanOrEqual(100);
    }
    // What remains is the newest: the never-settled of the last thousand or so, the last five.
    const kept: number[] = [];
    for (let i = 0; i < 50_000; i++) if (m.has(actor(i), String(i))) kept.push(i);
    expect(kept.length).toBe(m.size);
    expect(kept.length).toBeGreaterThan(90);
    expect(Math.min(...kept)).toBeGreaterThan(49_000);
    expect(kept.slice(-5)).toEqual([49_995, 49_996, 49_997, 49_998, 49_999]);
  });

  it('evicts into the inner map it is about to fill without losing the new pair', () => {
    const m = new BoundedPairMap<number>(1);
    m.set('a', '1', 1);
    m.set('a', '2', 2);
    expect(m.has('a', '1')).toBe(false);
    expect(m.get('a', '2')).toBe(2);
    expect(m.size).toBe(1);
  });

  it('with one first key, a pair set again after its delete is forgotten in its new place', () => {
    forgetsInNewPlace(new BoundedPairMap<number>(2), 'a');
  });

  it('a second first key keeps the order of the pairs held before it', () => {
    const m = new BoundedPairMap<number>(3);
    m.set('a', '1', 1);
    m.set('a', '2', 2);
    m.set('b', '1', 3);
    m.set('c', '1', 4);
    expect(m.has('a', '1')).toBe(false);
    m.set('d', '1', 5);
    expect(m.has('a', '2')).toBe(false);
    m.set('a', '3', 6);
    expect(m.has('b', '1')).toBe(false);
    expect([m.get('c', '1'), m.get('d', '1'), m.get('a', '3')]).toEqual([4, 5, 6]);
    expect(m.size).toBe(3);
  });

  it('emptied, it orders pairs by their one first key again', () => {
    const m = new BoundedPairMap<number>(2);
    m.set('a', '1', 1);
    m.set('b', '1', 2);
    m.delete('a', '1');
    m.delete('b', '1');
    expect(m.size).toBe(0);
    forgetsInNewPlace(m, 'c');
  });

  it('starts afresh after clear', () => {
    const m = new BoundedPairMap<number>(2);
    m.set('a', '1', 1);
    m.set('b', '1', 2);
    m.clear();
    m.set('c', '1', 3);
    m.set('d', '1', 4);
    m.set('e', '1', 5);
    expect(m.has('c', '1')).toBe(false);
    expect(m.size).toBe(2);
  });
});
