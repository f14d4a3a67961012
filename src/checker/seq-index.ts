/**
 * An inbox's seq → stored message index, for the checker's ledger (state.ts UserState).
 */

import { type Arena, Ints } from './ints.js';

/** What SeqIndex.get says of a seq that was seen by a message the streaming ledger has forgotten. */
export const SEQ_RETIRED = -2;

/**
 * seq → stored message. Inbox seqs are small and dense (1, 2, 3…), so a list indexed by seq is
 * the fast path (in chunks: ints.ts says why); a seq far beyond what was seen (a hostile or broken
 * server) goes to a map so one absurd number cannot make the list sparse. A streaming ledger
 * compacts the front once its stored messages are forgotten (compact): below the list's `start`
 * only the seqs never seen are kept (a set, as big as the inbox's holes), so an inbox costs what
 * is in flight, not what was ever in it.
 */
export class SeqIndex {
  /**
   * seq → stored id + 1 (0: none); seqs below its `start` are compacted. Made by the first seq
   * set: an inbox nothing has reached yet (an idle load bot's) was 104 B of an empty list and its
   * chunk array (heap snapshots of 400 and 2,000 bots).
   */
  private dense: Ints | undefined;
  private sparse: Map<number, number> | undefined;
  /** Compacted seqs are seen (SEQ_RETIRED) unless in `unseen` or set again in `sparse`. */
  private unseen: Set<number> | undefined;

  constructor(private readonly arena: Arena) {}

  /** Stored id with this seq, SEQ_RETIRED when its message was forgotten, or -1. */
  get(seq: number): number {
    const dense = this.dense;
    if (dense === undefined) return this.sparse?.get(seq) ?? -1;
    if (seq < dense.start && seq >= 0) {
      const late = this.sparse?.get(seq);
      if (late !== undefined) return late;
      return this.unseen?.has(seq) ? -1 : SEQ_RETIRED;
    }
    const v = dense.get(seq);
    if (v !== 0) return v - 1;
    return this.sparse?.get(seq) ?? -1;
  }

  /** Whether some stored message (forgotten or not) had this seq. */
  has(seq: number): boolean {
    return this.get(seq) !== -1;
  }

  set(seq: number, stored: number): void {
    const start = this.dense?.start ?? 0;
    if (Number.isSafeInteger(seq) && seq >= start && seq <= (this.dense?.length ?? 0) + 1024) {
      this.dense ??= new Ints(this.arena);
      this.dense.set(seq, stored + 1);
    } else {
      this.sparse ??= new Map();
      this.sparse.set(seq, stored);
      if (seq < start) this.unseen?.delete(seq);
    }
  }

  /** Forgets the front whose stored ids are below `storedBase` (the streaming ledger retired them). */
  compact(storedBase: number): void {
    const dense = this.dense;
    if (dense === undefined) return;
    let k = dense.start;
    for (; k < dense.length; k++) {
      const v = dense.get(k);
      if (v === 0) continue;
      if (v - 1 >= storedBase) break;
    }
    // Holes in the compacted front are remembered; everything else there was seen.
    for (let j = dense.start; j < k; j++) {
      if (dense.get(j) !== 0) continue;
      this.unseen ??= new Set();
      this.unseen.add(j);
    }
    dense.drop(k);
  }
}
