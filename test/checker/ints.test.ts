/**
 * The checker's chunked int lists (src/checker/ints.ts): what is set reads back across chunk
 * boundaries, a dropped front frees its chunks, and a reserving caller's chunks are shared buffers.
 */

import { describe, expect, it } from 'vitest';
import { Arena, Ints } from '../../src/checker/ints.js';

describe('Ints (growing int lists in chunks)', () => {
  it('reads back every entry across the doubling and the fixed-size chunks, and empty elsewhere', () => {
    const list = new Ints(new Arena(), -1);
    for (let k = 0; k < 20_000; k++) list.push(k * 3);
    expect(list.length).toBe(20_000);
    for (let k = 0; k < 20_000; k++) if (list.get(k) !== k * 3) expect(list.get(k)).toBe(k * 3);
    expect(list.get(20_000)).toBe(-1);
    expect(list.get(-1)).toBe(-1);
    // Not an index (a seq off the wire): never set.
    expect(list.get(9000.5)).toBe(-1);
    // Far ahead: the chunks between are made, their entries empty.
    list.set(30_000, 7);
    expect(list.get(30_000)).toBe(7);
    expect(list.get(25_000)).toBe(-1);
  });

  it('frees the chunks below a dropped front, so what it holds follows what is live', () => {
    const list = new Ints(new Arena());
    for (let k = 0; k < 100_000; k++) {
      list.push(k + 1);
      if (k % 1000 === 999) list.drop(k - 500);
    }
    expect(list.size).toBe(501);
    expect(list.get(list.start - 1)).toBe(0);
    expect(list.get(99_999)).toBe(100_000);
    expect(list.held).toBeLessThanOrEqual(2 * 4096);
    list.drop(list.length);
    expect(list.size).toBe(0);
    list.push(5);
    expect(list.get(100_000)).toBe(5);
  });

  it('takes its chunks from shared buffers once its arena is reserved, ordinary ones before', () => {
    const arena = new Arena();
    const list = new Ints(arena);
    for (let k = 0; k < 100; k++) list.push(k);
    expect(list.shared).toBe(false);
    arena.reserved = true;
    const later = new Ints(arena);
    for (let k = 0; k < 10_000; k++) later.push(k);
    expect(later.shared).toBe(true);
    expect(later.held).toBeGreaterThanOrEqual(10_000);
  });
});
