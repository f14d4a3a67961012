/**
 * One inbox's pushes for push-chain (SEQ-4): seq → the event index of its first push and the
 * prevSeq that push carried. Seqs of an inbox are contiguous on a correct server, so they sit in a
 * dense list from the lowest seq held (a number per seq, no map entry; ints.ts); the prevSeq is kept only
 * when it is not seq − 1 (the usual one costs nothing). Seqs that do not fit — below the array
 * (pushed after their neighbours were forgotten), far beyond it, or not integers — go to a map.
 */

import { type Arena, Ints } from '../ints.js';

/** How far past the list's end a seq may land and still grow it (the holes cost a number each). */
const MAX_SKIP = 1024;

export class SeqChain {
  /** seq − low → first push's event index + 1 (0: none); its `start` is where the held seqs begin. */
  private dense: Ints;
  private low = 0;
  /** Seqs outside the dense range → first push's event index (insertion order is birth order). */
  private readonly far = new Map<number, number>();
  /** prevSeq of a seq's first push, when it is not seq − 1. */
  private readonly prevs = new Map<number, number>();

  constructor(private readonly arena: Arena) {
    this.dense = new Ints(arena);
  }

  /** The event index of seq's first push, or -1. */
  born(seq: number): number {
    const v = this.dense.get(seq - this.low);
    if (v !== 0) return v - 1;
    return this.far.size === 0 ? -1 : (this.far.get(seq) ?? -1);
  }

  /** The prevSeq seq's first push carried (seq known). */
  prev(seq: number): number {
    return this.prevs.size === 0 ? seq - 1 : (this.prevs.get(seq) ?? seq - 1);
  }

  /** Seq's first push: event `i`, carrying `prev`. */
  add(seq: number, prev: number, i: number): void {
    if (prev !== seq - 1) this.prevs.set(seq, prev);
    // An empty list starts at the seq that comes (a fresh one: a list's indexes never move).
    if (this.dense.size === 0 && Number.isSafeInteger(seq)) {
      if (this.dense.length > 0) this.dense = new Ints(this.arena);
      this.low = seq;
    }
    const dense = this.dense;
    const k = seq - this.low;
    if (Number.isSafeInteger(seq) && k >= dense.start && k <= dense.length + MAX_SKIP) dense.set(k, i + 1);
    else this.far.set(seq, i);
  }

  /**
   * Forgets the seqs first pushed before event `floor`: the front of the list up to the first
   * one still held (holes there are skipped: a seq pushed later below the list goes to the map,
   * a first sighting as it would be anyway), and the map's front in birth order.
   */
  forget(floor: number): void {
    const dense = this.dense;
    let k = dense.start;
    while (k < dense.length && dense.get(k) - 1 < floor) k++;
    if (k > dense.start) {
      if (this.prevs.size > 0) for (let j = dense.start; j < k; j++) this.prevs.delete(this.low + j);
      dense.drop(k);
    }
    for (const [seq, born] of this.far) {
      if (born >= floor) break;
      this.far.delete(seq);
      this.prevs.delete(seq);
    }
  }

  /** Seqs held (tests: memory follows what is held). */
  get size(): number {
    let n = this.far.size;
    for (let k = this.dense.start; k < this.dense.length; k++) if (this.dense.get(k) !== 0) n++;
    return n;
  }
}
