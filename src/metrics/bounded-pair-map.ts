/**
 * A map keyed by a pair of strings (an actor and a rid, a user and a cmid) that forgets its
 * oldest entries beyond `max`, as BoundedMap does for one key. The metrics listener looks such
 * pairs up several times per message; a joined key ("alice/phone|~1a") was a string built and
 * then flattened and hashed on every lookup (with no key strings at all, an upper bound, the
 * listener went from 3.4 to 1.9 µs per message on a synthetic exchange). Here each half is a
 * string the event already holds: an inner Map per first key, nothing built per lookup.
 *
 * An inner map is dropped when it empties, so memory follows the entries held, never the number
 * of actors ever seen (a load run has tens of thousands). Eviction order comes from a queue of
 * pairs in insertion order; a pair deleted and set again keeps its first place, so it may be
 * forgotten a little early — never late, and the bound always holds.
 */
export class BoundedPairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  /** Insertion order, as two parallel arrays (no pair object per entry). */
  private qa: string[] = [];
  private qb: string[] = [];
  private head = 0;
  private count = 0;
  /**
   * The inner map of the first key used last. The listener's lookups come in runs on one actor
   * (or user) whose string is the same object each time, so an identity check saves the outer
   * lookup; undefined whenever that inner map may have left `outer`.
   */
  private lastA: string | undefined;
  private lastInner: Map<string, V> | undefined;

  constructor(readonly max: number) {}

  get size(): number {
    return this.count;
  }

  get(a: string, b: string): V | undefined {
    return this.inner(a)?.get(b);
  }

  has(a: string, b: string): boolean {
    return this.inner(a)?.has(b) === true;
  }

  private inner(a: string): Map<string, V> | undefined {
    if (a === this.lastA) return this.lastInner;
    const inner = this.outer.get(a);
    if (inner !== undefined) {
      this.lastA = a;
      this.lastInner = inner;
    }
    return inner;
  }

  /**
   * Sets the pair's value; true when the pair is new. One inner-map operation in the common case
   * (the size tells new from updated): on a map of 100k committed messages each lookup is a few
   * cache misses, and the listener makes several per message.
   */
  set(a: string, b: string, value: V): boolean {
    let inner = this.inner(a);
    if (inner === undefined) {
      inner = new Map();
      this.outer.set(a, inner);
    }
    const before = inner.size;
    inner.set(b, value);
    if (inner.size === before) return false;
    this.count++;
    this.qa.push(a);
    this.qb.push(b);
    // The new pair is the newest queued, so the oldest live one goes (never it, while max > 0).
    if (this.count > this.max) this.evictOldest();
    // Stale pairs (deleted since they were queued) far more than the live ones: compact.
    if (this.qa.length - this.head > 2 * this.count + 1024) this.compact();
    return true;
  }

  delete(a: string, b: string): boolean {
    const inner = this.inner(a);
    if (inner === undefined || !inner.delete(b)) return false;
    this.count--;
    if (inner.size === 0) {
      this.outer.delete(a);
      this.forgetLast();
    }
    return true;
  }

  clear(): void {
    this.forgetLast();
    this.outer.clear();
    this.qa = [];
    this.qb = [];
    this.head = 0;
    this.count = 0;
  }

  private forgetLast(): void {
    this.lastA = undefined;
    this.lastInner = undefined;
  }

  /** Deletes the oldest live pair; false when the queue held none. */
  private evictOldest(): boolean {
    const { qa, qb } = this;
    let evicted = false;
    while (this.head < qa.length) {
      const i = this.head++;
      const a = qa[i]!;
      const b = qb[i]!;
      qa[i] = '';
      qb[i] = '';
      if (this.delete(a, b)) {
        evicted = true;
        break;
      }
    }
    if (this.head > 4096 && this.head * 2 > qa.length) {
      this.qa = qa.slice(this.head);
      this.qb = qb.slice(this.head);
      this.head = 0;
    }
    return evicted;
  }

  /**
   * Keeps the first queued place of each live pair, in order. Every live pair has a place, so
   * when the live places number exactly the live pairs there are no repeats to drop, and no set
   * of seen pairs is built (the common case: a pair is set once, then deleted or evicted).
   */
  private compact(): void {
    let qa: string[] = [];
    let qb: string[] = [];
    for (let i = this.head; i < this.qa.length; i++) {
      const a = this.qa[i]!;
      const b = this.qb[i]!;
      if (!this.has(a, b)) continue;
      qa.push(a);
      qb.push(b);
    }
    if (qa.length > this.count) {
      const firstA: string[] = [];
      const firstB: string[] = [];
      const seen = new Map<string, Set<string>>();
      for (let i = 0; i < qa.length; i++) {
        const a = qa[i]!;
        const b = qb[i]!;
        let s = seen.get(a);
        if (s === undefined) {
          s = new Set();
          seen.set(a, s);
        } else if (s.has(b)) continue;
        s.add(b);
        firstA.push(a);
        firstB.push(b);
      }
      qa = firstA;
      qb = firstB;
    }
    this.qa = qa;
    this.qb = qb;
    this.head = 0;
  }
}
