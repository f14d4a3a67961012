/**
 * An inbox's seq → stored message index, for the checker's ledger (state.ts UserState).
 */

/** What SeqIndex.get says of a seq that was seen by a message the streaming ledger has forgotten. */
export const SEQ_RETIRED = -2;

/**
 * seq → stored message. Inbox seqs are small and dense (1, 2, 3…), so an array indexed by seq is
 * the fast path; a seq far beyond what was seen (a hostile or broken server) goes to a map so
 * one absurd number cannot make the array sparse. A streaming ledger compacts the front once its
 * stored messages are forgotten (compact): below `low` only the seqs never seen are kept (a set,
 * as big as the inbox's holes), so an inbox costs what is in flight, not what was ever in it.
 */
export class SeqIndex {
  /** seq − low → stored id + 1 (0: none). A plain array of small integers: on the heap, off the array-buffer budget. */
  private dense: number[] = [];
  private sparse: Map<number, number> | undefined;
  /** Seqs below it are compacted: seen (SEQ_RETIRED) unless in `unseen` or set again in `sparse`. */
  private low = 0;
  private unseen: Set<number> | undefined;

  /** Stored id with this seq, SEQ_RETIRED when its message was forgotten, or -1. */
  get(seq: number): number {
    if (seq < this.low && seq >= 0) {
      const late = this.sparse?.get(seq);
      if (late !== undefined) return late;
      return this.unseen?.has(seq) ? -1 : SEQ_RETIRED;
    }
    const k = seq - this.low;
    if (k >= 0 && k < this.dense.length) {
      const v = this.dense[k]!;
      if (v !== 0) return v - 1;
    }
    return this.sparse?.get(seq) ?? -1;
  }

  /** Whether some stored message (forgotten or not) had this seq. */
  has(seq: number): boolean {
    return this.get(seq) !== -1;
  }

  set(seq: number, stored: number): void {
    const dense = this.dense;
    const k = seq - this.low;
    if (Number.isSafeInteger(seq) && k >= 0 && k <= dense.length + 1024) {
      while (dense.length <= k) dense.push(0);
      dense[k] = stored + 1;
    } else {
      this.sparse ??= new Map();
      this.sparse.set(seq, stored);
      if (seq < this.low) this.unseen?.delete(seq);
    }
  }

  /** Forgets the front whose stored ids are below `storedBase` (the streaming ledger retired them). */
  compact(storedBase: number): void {
    const dense = this.dense;
    let k = 0;
    for (; k < dense.length; k++) {
      const v = dense[k]!;
      if (v === 0) continue;
      if (v - 1 >= storedBase) break;
    }
    // Holes in the compacted front are remembered; everything else there was seen.
    for (let j = 0; j < k; j++) {
      if (dense[j] !== 0) continue;
      this.unseen ??= new Set();
      this.unseen.add(this.low + j);
    }
    if (k === 0) return;
    this.dense = dense.slice(k);
    this.low += k;
  }
}
