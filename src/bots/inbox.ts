/**
 * The receiving app's local store: commit first, ack after (section 12). Pure: no timers, no
 * sockets. It deduplicates by smid and by seq, keeps the contiguous watermark that acks and
 * lastSeq report, and detects gaps in the seq chain so the bot can fetch the missing range.
 */

import type { StoredMessage } from '../protocol/frames.js';

/** Where a message came from: a push, a forward sync page, or a backward (history) page. */
export type Via = 'push' | 'sync' | 'backward';

export interface Gap {
  /** The watermark when the gap showed. */
  have: number;
  /** The seq that revealed it. */
  saw: number;
}

export class Inbox {
  /** Committed messages by smid. */
  readonly store = new Map<string, StoredMessage>();
  /** Highest seq with every seq up to it committed (or below the device's starting point). */
  private mark = 0;
  /** Committed seqs above the watermark (arrived past a gap), with their prevSeq. */
  private readonly above = new Map<number, number | undefined>();
  /** Highest seq committed or accepted as the starting point. */
  private top = 0;
  /**
   * Smids committed before a reinstall (reset): the app forgot them, but the device did commit
   * them, and the server rightly never sends what its cursor already covers.
   */
  private readonly forgotten = new Set<string>();
  /** False after a reinstall: the next hello sends no lastSeq. */
  private knowsLastSeq = true;
  /**
   * Seqs are contiguous (cap contiguous-seq): a seq above watermark + 1 is a gap. Without it only
   * a prevSeq pointing past the watermark reveals one.
   */
  contiguous = true;

  get watermark(): number {
    return this.mark;
  }

  get highest(): number {
    return this.top;
  }

  get size(): number {
    return this.store.size;
  }

  /** lastSeq for the next hello: the watermark, or undefined after the state was lost. */
  lastSeq(): number | undefined {
    return this.knowsLastSeq ? this.mark : undefined;
  }

  /**
   * The server set the starting point (hello without lastSeq: base = maxSeq − pending, HELLO-1).
   * Messages at or below it are history, reachable by paging backwards.
   */
  setBase(base: number): void {
    this.knowsLastSeq = true;
    if (base > this.mark) {
      this.mark = base;
      this.drain();
    }
    if (base > this.top) this.top = base;
  }

  /** This device committed the message, in this app epoch or before a reinstall. */
  committedEver(smid: string): boolean {
    return this.store.has(smid) || this.forgotten.has(smid);
  }

  /** This device committed the message before a reinstall (the app forgot it). */
  forgot(smid: string): boolean {
    return this.forgotten.size > 0 && this.forgotten.has(smid);
  }

  /** Forgets everything (reinstall): store, watermark, lastSeq. */
  reset(): void {
    for (const smid of this.store.keys()) this.forgotten.add(smid);
    this.store.clear();
    this.above.clear();
    this.mark = 0;
    this.top = 0;
    this.knowsLastSeq = false;
  }

  /**
   * True when the app already has the message. Pushes and forward pages repeat by design
   * (re-push, overlapping pages), so anything at or below the watermark counts as seen; a
   * backward page reads below the starting point on purpose, so there only the smid counts.
   */
  isDuplicate(msg: StoredMessage, via: Via): boolean {
    if (this.store.has(msg.smid)) return true;
    const seq = msg.seq;
    if (typeof seq !== 'number') return false;
    if (via !== 'backward' && seq <= this.mark) return true;
    return this.above.has(seq);
  }

  /**
   * Commits a message that is not a duplicate. Returns the gap it revealed, if any: a missing
   * range between what was committed and this message.
   */
  commit(msg: StoredMessage): Gap | undefined {
    this.store.set(msg.smid, msg);
    const seq = msg.seq;
    if (typeof seq !== 'number') return undefined;
    const previousTop = this.top;
    if (seq > this.top) this.top = seq;
    if (seq <= this.mark) return undefined;
    const have = this.mark;
    if (this.follows(seq, msg.prevSeq)) {
      this.mark = seq;
      this.drain();
      return undefined;
    }
    this.above.set(seq, msg.prevSeq);
    // Report a gap once, when a seq opens a new missing range above everything seen so far —
    // not again for each message that arrives behind the same hole.
    const opensRange = this.contiguous
      ? seq > previousTop + 1
      : msg.prevSeq !== undefined && msg.prevSeq > previousTop;
    return opensRange ? { have, saw: seq } : undefined;
  }

  /** Whether `seq` directly extends the watermark. */
  private follows(seq: number, prevSeq: number | undefined): boolean {
    if (this.contiguous) return seq === this.mark + 1;
    return prevSeq === undefined || prevSeq <= this.mark;
  }

  private drain(): void {
    if (this.above.size === 0) return;
    let advanced = true;
    while (advanced) {
      advanced = false;
      if (this.contiguous) {
        if (this.above.has(this.mark + 1)) {
          this.above.delete(this.mark + 1);
          this.mark += 1;
          advanced = true;
        }
      } else {
        for (const [seq, prev] of this.above) {
          if (prev === undefined || prev <= this.mark) {
            this.above.delete(seq);
            if (seq > this.mark) this.mark = seq;
            advanced = true;
          }
        }
      }
    }
    for (const seq of this.above.keys()) if (seq <= this.mark) this.above.delete(seq);
  }
}
