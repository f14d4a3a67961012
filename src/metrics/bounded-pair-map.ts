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
 *
 * While every pair held has the same first key (one sender, one receiving device: the bots
 * bench, most cases), that key's inner map is the order — a Map iterates in insertion order —
 * and nothing is queued: the queue's pushes were ~0.4 µs of the metrics listener's ~2.4 µs a
 * message there. The order is then exact (a pair set again after its delete is in its new
 * place). A second first key queues what the map holds, in its order, and queueing goes on
 * until the map is empty again.
 */
export class BoundedPairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  /**
   * Insertion order, the two halves of each pair side by side (no pair object per entry). One
   * array rather than two parallel ones: a push per pair instead of two, one growth, and on the
   * bots bench the queue pushes were a sixth of the metrics listener's time.
   */
  private q: string[] = [];
  /** Index in `q` of the oldest queued pair's first half. */
  private head = 0;
  /** Whether `q` holds the order (more than one first key since the map was last empty). */
  private queued = false;
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
      if (!this.queued && this.count > 0) this.startQueue();
      inner = new Map();
      this.outer.set(a, inner);
    }
    const before = inner.size;
    inner.set(b, value);
    if (inner.size === before) return false;
    this.count++;
    if (!this.queued) {
      if (this.count > this.max) this.evictOldest();
      return true;
    }
    this.q.push(a, b);
    // The new pair is the newest queued, so the oldest live one goes (never it, while max > 0).
    if (this.count > this.max) this.evictOldest();
    // Stale pairs (deleted since they were queued) far more than the live ones: compact.
    if (this.q.length - this.head > 2 * (2 * this.count + 1024)) this.compact();
    return true;
  }

  delete(a: string, b: string): boolean {
    const inner = this.inner(a);
    if (inner === undefined || !inner.delete(b)) return false;
    if (--this.count === 0 && this.queued) this.stopQueue();
    if (inner.size === 0) {
      this.outer.delete(a);
      this.forgetLast();
    }
    return true;
  }

  clear(): void {
    this.forgetLast();
    this.outer.clear();
    this.stopQueue();
    this.count = 0;
  }

  private forgetLast(): void {
    this.lastA = undefined;
    this.lastInner = undefined;
  }

  /** The pairs held so far, all under one first key, go into the queue in their order. */
  private startQueue(): void {
    const q: string[] = [];
    for (const [a, inner] of this.outer) for (const b of inner.keys()) q.push(a, b);
    this.q = q;
    this.head = 0;
    this.queued = true;
  }

  private stopQueue(): void {
    this.q = [];
    this.head = 0;
    this.queued = false;
  }

  /** Deletes the oldest live pair; false when the queue held none. */
  private evictOldest(): boolean {
    if (!this.queued) {
      const first = this.outer.entries().next();
      if (first.done) return false;
      const [a, inner] = first.value;
      const oldest = inner.keys().next();
      return !oldest.done && this.delete(a, oldest.value);
    }
    const q = this.q;
    let evicted = false;
    while (this.head < q.length) {
      const i = this.head;
      this.head = i + 2;
      const a = q[i]!;
      const b = q[i + 1]!;
      q[i] = '';
      q[i + 1] = '';
      if (this.delete(a, b)) {
        evicted = true;
        break;
      }
    }
    if (this.head > 8192 && this.head * 2 > q.length) {
      this.q = q.slice(this.head);
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
    const old = this.q;
    let q: string[] = [];
    for (let i = this.head; i < old.length; i += 2) {
      const a = old[i]!;
      const b = old[i + 1]!;
      if (this.has(a, b)) q.push(a, b);
    }
    if (q.length > 2 * this.count) {
      const first: string[] = [];
      const seen = new Map<string, Set<string>>();
      for (let i = 0; i < q.length; i += 2) {
        const a = q[i]!;
        const b = q[i + 1]!;
        let s = seen.get(a);
        if (s === undefined) {
          s = new Set();
          seen.set(a, s);
        } else if (s.has(b)) continue;
        s.add(b);
        first.push(a, b);
      }
      q = first;
    }
    this.q = q;
    this.head = 0;
  }
}
