/**
 * The keys of the always-on judges' shared message index (message-index.ts): (sender user, cmid)
 * pairs and smids, each given a slot (an integer, in birth order) that the ledger and every judge
 * keep their facts about that message under, in columns (tables.ts).
 */

import { Column, isReserved, type Store, store } from '../tables.js';

/** Told the keys a forget dropped (slot, and the key's parts), oldest first. */
export type DropListener = (slot: number, a: string, b: string) => void;

/**
 * Where each process's hashes start: smids come from the server under test, so the bucket a key
 * lands in must not be predictable from outside (a server handing out colliding ids would make
 * every lookup a long probe), as V8 seeds its own string hashes.
 */
const SEED = (Math.random() * 0x100000000) >>> 0;

/** A 32-bit hash of key (a, b), computed over the characters (FNV-1a from SEED, then a final mix). */
function hashKey(a: string, b: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let k = 0; k < a.length; k++) h = Math.imul(h ^ a.charCodeAt(k), 0x01000193);
  if (b !== '') {
    // A separator, so ("ab", "c") and ("a", "bc") differ.
    h = Math.imul(h ^ 0xffff, 0x01000193);
    for (let k = 0; k < b.length; k++) h = Math.imul(h ^ b.charCodeAt(k), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  // Signed, not `>>> 0`: a uint32 above 2^31 is a heap number wherever this is not inlined, and
  // callers only ever mask it.
  return h ^ (h >>> 16);
}

/**
 * A bucket of the hash table that was never used. A bucket whose slot is below `base` holds a
 * forgotten key: probes pass it as they would a deleted one, and only a rebuild empties it.
 */
const EMPTY = 0;

/**
 * Keys → slots, slots born in order. A key is one string (`a`) or a pair (`a`, `b`); no key string
 * is ever built. The keys are found through an open-addressing hash table of slot numbers (an
 * Int32Array, linear probing) over the key parts each slot keeps: measured on 1M messages, a
 * JavaScript Map per key kind held about 40 bytes of heap per key and its lookups were most of
 * the judges' time; this table holds a pointer to the key's string (8 bytes) on that heap, and
 * 16–20 bytes per key outside it.
 */
export class KeyTable {
  /** Slots created so far; the next slot's number. */
  size = 0;
  /** Slots below it are forgotten. */
  base = 0;
  /** True once a forget dropped any key: absence of a key then proves nothing. */
  forgotAny = false;
  /** Event index each slot was born at. */
  private readonly born = new Column(1024, -1);
  /**
   * Each slot's hashKey (as an int32). A probe compares it before the key strings, so passing a
   * bucket of another key reads no string (each a likely cache miss in a table of 100k+ keys), and
   * a forget or rebuild places slots without hashing their keys again.
   */
  private readonly hashOf = new Column(1024, 0);
  /** A two-part key's first part, as its number in `names` + 1; 0 for a one-part key. */
  private readonly part = new Column(1024, 0);
  private readonly columns: Column[] = [this.born, this.hashOf, this.part];
  private readonly listeners: DropListener[] = [];
  /** bucket → slot + 1 (a forgotten one once below `base`) or EMPTY; its length a power of two, at most half used. */
  private table: Store = new Int32Array(4096);
  /** Buckets holding a slot, live or forgotten (probes stop only at EMPTY). */
  private used = 0;
  /**
   * The first parts of two-part keys, each once: a sender's user name, of which a run has few (the
   * judges and the ledger make such keys only for the case's own actors). Why: a string a slot
   * costs 8 bytes of the heap the collector marks, a number in `part` 4 bytes beside it (ints.ts).
   */
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  /**
   * Each slot's key string — its second part, or its only one — from `keysFrom` (index slot −
   * `keysFrom`): the forgotten ones below `base` are cleared ('') and the array slid down only
   * once it is half dead, so a forget copies nothing on most retirements (a slice per forget
   * copied every live key, and the next push grew the exact-size copy again).
   */
  private keys: string[] = [];
  private keysFrom = 0;
  // The last key looked up and its slot (-1: absent): the judges of one event ask in a row.
  private lastA: string | undefined;
  private lastB: string | undefined;
  private lastSlot = -1;

  /** A column of one fact per slot, `empty` until set; dropped with the slots. */
  column(empty: number): Column {
    const c = new Column(1024, empty);
    c.base = this.base;
    c.ensure(this.born.base + this.born.a.length, isReserved(this.born.a));
    this.columns.push(c);
    return c;
  }

  /** Told, oldest first, the keys each forget drops. */
  onDrop(listener: DropListener): void {
    this.listeners.push(listener);
  }

  /** The slot of key (a, b) — b '' for a one-part key — or -1. */
  find(a: string, b = ''): number {
    if (a === this.lastA && b === this.lastB) return this.lastSlot;
    const slot = this.lookup(a, b, hashKey(a, b));
    this.lastA = a;
    this.lastB = b;
    this.lastSlot = slot;
    return slot;
  }

  /** The slot of key (a, b), created (born at event `i`) when absent. */
  slot(a: string, b: string, i: number): number {
    if (a === this.lastA && b === this.lastB && this.lastSlot >= 0) return this.lastSlot;
    const h = hashKey(a, b);
    const found = this.lookup(a, b, h);
    this.lastA = a;
    this.lastB = b;
    if (found >= 0) {
      this.lastSlot = found;
      return found;
    }
    // Grown or cleaned before the new slot exists: a rebuild places the live slots only.
    if (2 * (this.used + 1) > this.table.length) this.rebuild();
    const slot = this.size++;
    // Stores, not pushes: reserve() may have sized the arrays already (their doublings, each a
    // copy into fresh memory, were a tenth of check()'s insert cost); past the end this appends.
    this.keys[slot - this.keysFrom] = b === '' ? a : b;
    this.place(h, slot);
    // The columns grow together (a doubling of each, so this is rare): no call per column per slot.
    const born = this.born;
    if (this.size > born.base + born.a.length) for (const c of this.columns) c.ensure(this.size);
    born.set(slot, i);
    this.hashOf.set(slot, h | 0);
    if (b !== '') this.part.set(slot, this.nameId(a) + 1);
    this.lastSlot = slot;
    return slot;
  }

  private lookup(a: string, b: string, h: number): number {
    const table = this.table;
    const mask = table.length - 1;
    const hashes = this.hashOf.a;
    const hashBase = this.hashOf.base;
    const h32 = h | 0;
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const v = table[k]!;
      if (v === EMPTY) return -1;
      // A forgotten slot (hashBase is `base`) is passed as a deleted key would be.
      const slot = v - 1;
      if (slot < hashBase || hashes[slot - hashBase] !== h32) continue;
      if (this.is(slot, a, b)) return slot;
    }
  }

  /** Whether slot `slot` (live) holds key (a, b). */
  private is(slot: number, a: string, b: string): boolean {
    const key = this.keys[slot - this.keysFrom];
    const part = this.part.get(slot);
    return b === '' ? part === 0 && key === a : key === b && part > 0 && this.names[part - 1] === a;
  }

  private nameId(a: string): number {
    let id = this.nameIds.get(a);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(a);
      this.nameIds.set(a, id);
    }
    return id;
  }

  /** Puts `slot` (hash `h`) in the first empty bucket. */
  private place(h: number, slot: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let k = h & mask;
    while (table[k] !== EMPTY) k = (k + 1) & mask;
    table[k] = slot + 1;
    this.used++;
  }

  /**
   * Room for `n` more keys without growing: a caller that knows the run's size (check() of a whole
   * history) spares the doublings, and its columns and table go on shared buffers (tables.ts Store).
   */
  reserve(n: number): void {
    for (const c of this.columns) c.ensure(this.size + n, true);
    const keys = this.size - this.keysFrom + n;
    if (this.keys.length < keys) this.keys = sized(this.keys, keys);
    // Half full at most once the `n` keys are in, not a quarter: a run's keys are new ones, each
    // insert a probe of a cold bucket, and a table half the size misses the cache less (on the
    // bench's 100k messages, ~4% of check()'s CPU). A reservation is for a whole history, which
    // never forgets, so the quarter's slack against rebuilding over deleted buckets is not needed.
    if (2 * (this.used + n) > this.table.length) this.rebuild(this.size - this.base + n, true, 2);
  }

  /**
   * A fresh table for the live slots (room for `keys`), at most 1/`room` full: no deleted buckets
   * left, and (with the default room) a quarter of the table to fill before the next rebuild.
   */
  private rebuild(keys = this.size - this.base + 1, reserved = isReserved(this.table), room = 4): void {
    const live = this.size - this.base;
    let cap = 4096;
    while (cap < room * keys) cap *= 2;
    const table = store(cap, EMPTY, reserved);
    const mask = cap - 1;
    for (let slot = this.base; slot < this.size; slot++) {
      let k = this.hashOf.get(slot) & mask;
      while (table[k] !== EMPTY) k = (k + 1) & mask;
      table[k] = slot + 1;
    }
    this.table = table;
    this.used = live;
  }

  /** Whether live slot `slot` is key (a, b) — false once it is forgotten. */
  keyIs(slot: number, a: string, b = ''): boolean {
    return slot >= this.base && slot < this.size && this.is(slot, a, b);
  }

  /** The event index slot `slot` was born at (-1 when forgotten). */
  bornAt(slot: number): number {
    return this.born.get(slot);
  }

  /** Drops every key born before event `floor`, telling the listeners which. */
  forget(floor: number): void {
    let cut = this.base;
    while (cut < this.size && this.born.get(cut) < floor) cut++;
    this.forgetBelow(cut);
  }

  /**
   * Drops every slot below `cut`, telling the listeners which. Their buckets are left as they are:
   * raising `base` is what forgets them (lookup passes a slot below it). Why: finding each one's
   * bucket to mark it deleted was a random read of a table of 1M buckets per key: measured,
   * forgetBelow's own time went from 1.6–1.7% to 0.7–1.0% of the streaming ledger's CPU samples
   * on 500k messages.
   */
  forgetBelow(cut: number): void {
    if (cut <= this.base) return;
    const keys = this.keys;
    for (let slot = this.base; slot < cut; slot++) {
      const at = slot - this.keysFrom;
      const part = this.part.get(slot);
      const a = part === 0 ? keys[at]! : this.names[part - 1]!;
      const b = part === 0 ? '' : keys[at]!;
      for (const l of this.listeners) l(slot, a, b);
      // The strings go with the key (the events that hold them may be forgotten too).
      keys[at] = '';
    }
    const dead = cut - this.keysFrom;
    if (2 * dead >= keys.length) {
      keys.copyWithin(0, dead);
      keys.length -= dead;
      this.keysFrom = cut;
    }
    for (const c of this.columns) c.drop(cut);
    this.base = cut;
    this.forgotAny = true;
    this.lastA = undefined;
    this.lastB = undefined;
  }

  /** Live keys (tests: memory follows what is held). */
  get live(): number {
    return this.size - this.base;
  }
}

/** `a`'s entries in an array of `n` (holes past them: only slots below `size` are ever read). */
function sized(a: string[], n: number): string[] {
  const b = new Array<string>(n);
  for (let k = 0; k < a.length; k++) b[k] = a[k]!;
  return b;
}
