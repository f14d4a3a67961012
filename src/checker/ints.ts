/**
 * Growing lists of int32s that are not indexed by message id — an inbox's seq → stored message, a
 * (sender, receiver) pair's messages in request order — kept in chunks that are never copied.
 *
 * Why: these grow by one entry a message, and as JavaScript arrays each doubling left the old
 * backing store behind. Measured on check() of 3M messages beside its 7.3 GB history, such arrays
 * (and the key strings of always-on/message-index.ts) grew the old generation by ~490 MB, half of
 * it promoted garbage, and that set off one full mark of the whole history: ~6 s of check()'s
 * ~24 s. In chunks, nothing is copied or left behind, and once a caller reserved room (check(),
 * see tables.ts Store) every chunk is a shared buffer, off the heap the collector marks and off
 * its external-memory budget. The first chunks are small (a list of a few entries costs a few
 * entries: the streaming ledger keeps one per pair it has seen) and they stop growing at MAX
 * entries, so a list whose front is dropped holds what is live, however far its indexes go.
 */

import { isReserved, type Store, store } from './tables.js';

/** Where lists take their chunks from: on shared buffers once `reserved` (see tables.ts Store). */
export class Arena {
  reserved = false;
}

/** Entries of the first chunk; each next one doubles, up to MAX. */
const FIRST = 16;
/** Entries of a chunk from the tenth on (FIRST << 8). */
const MAX = 4096;
/** Entries in the doubling chunks (16 + 32 + … + 4096). */
const RAMP = 2 * MAX - FIRST;
/** How many doubling chunks there are. */
const RAMP_CHUNKS = 9;

function chunkOf(k: number): number {
  // Within the ramp, chunk c holds k + FIRST in [FIRST << c, FIRST << (c + 1)).
  return k < RAMP ? 27 - Math.clz32(k + FIRST) : RAMP_CHUNKS + ((k - RAMP) >>> 12);
}

function offsetIn(k: number, c: number): number {
  return k < RAMP ? k + FIRST - (FIRST << c) : (k - RAMP) & (MAX - 1);
}

/**
 * Int32 entries at indexes 0, 1, 2…: `empty` where never set, and below `start` once dropped. An
 * index's chunk and place are fixed, so growing copies nothing and a drop frees whole chunks.
 */
export class Ints {
  /** One past the highest index set. */
  length = 0;
  /** Indexes below it are dropped. */
  start = 0;
  /** chunks[c − firstChunk] is chunk c (undefined when dropped). */
  private chunks: (Store | undefined)[] = [];
  private firstChunk = 0;

  constructor(
    private readonly arena: Arena,
    private readonly empty = 0,
  ) {}

  get(k: number): number {
    // Not an integer (a seq off the wire): never set, as in a JavaScript array.
    if (k < this.start || k >= this.length || Math.floor(k) !== k) return this.empty;
    const c = chunkOf(k);
    return this.chunks[c - this.firstChunk]![offsetIn(k, c)]!;
  }

  /** Sets index `k` (at or above `start`), growing the list to hold it. */
  set(k: number, v: number): void {
    const c = chunkOf(k);
    const chunks = this.chunks;
    while (this.firstChunk + chunks.length <= c) {
      const n = this.firstChunk + chunks.length;
      chunks.push(store(n < RAMP_CHUNKS ? FIRST << n : MAX, this.empty, this.arena.reserved));
    }
    chunks[c - this.firstChunk]![offsetIn(k, c)] = v;
    if (k >= this.length) this.length = k + 1;
  }

  push(v: number): void {
    this.set(this.length, v);
  }

  /** Live entries (from `start` to `length`). */
  get size(): number {
    return this.length - this.start;
  }

  /** Entries in the chunks held (tests: memory follows what is live). */
  get held(): number {
    let n = 0;
    for (const c of this.chunks) n += c?.length ?? 0;
    return n;
  }

  /** Whether every chunk held is a shared buffer (tests: a reserving caller's lists are). */
  get shared(): boolean {
    return this.chunks.every((c) => c === undefined || isReserved(c));
  }

  /** Drops the indexes below `k`: every chunk wholly below it is freed. */
  drop(k: number): void {
    if (k <= this.start) return;
    this.start = Math.min(k, this.length);
    const keep = chunkOf(this.start) - this.firstChunk;
    if (keep <= 0) return;
    // Chunk slots are shifted out once half are dead, so a long run's list of slots stays short.
    for (let c = 0; c < keep; c++) this.chunks[c] = undefined;
    if (2 * keep >= this.chunks.length) {
      this.chunks = this.chunks.slice(keep);
      this.firstChunk += keep;
    }
  }
}
