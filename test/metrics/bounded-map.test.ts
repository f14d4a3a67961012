import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/metrics/bounded-map.js';

describe('BoundedMap', () => {
  it('forgets the oldest entry beyond its bound, and an update forgets nothing', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('b', 20);
    expect([...m.keys()]).toEqual(['a', 'b', 'c']);
    m.set('d', 4);
    expect([...m.keys()]).toEqual(['b', 'c', 'd']);
    expect(m.get('b')).toBe(20);
  });

  it('skips entries deleted before their turn and keeps the bound over a long run', () => {
    const m = new BoundedMap<number, number>(100);
    for (let i = 0; i < 50_000; i++) {
      m.set(i, i);
      // Most entries settle (deleted) soon, as answered requests do; every tenth never does.
      if (i % 10 !== 0 && i >= 5) m.delete(i - 5);
      expect(m.size).toBeLessThanOrEqual(100);
    }
    // What remains is the newest: the never-settled of the last thousand or so, the last five.
    const kept = [...m.keys()];
    expect(kept.length).toBeGreaterThan(90);
    expect(Math.min(...kept)).toBeGreaterThan(49_000);
    expect(kept.slice(-5)).toEqual([49_995, 49_996, 49_997, 49_998, 49_999]);
  });

  it('starts afresh after clear', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    m.clear();
    m.set('c', 3).set('d', 4).set('e', 5);
    expect([...m.keys()]).toEqual(['d', 'e']);
  });
});
