/**
 * A set of string pairs (a receiving device, a smid) that forgets its oldest beyond `max`, for
 * pairs whose second half is all but unique: a smid names one message, which one device or a
 * few commit. The metrics listener asks it once per commit whether the pair is new.
 *
 * Why not BoundedPairMap: that one keys by the first half (an inner map per device), which suits
 * pairs whose second half repeats across first halves (cmids and rids are per-sender counters).
 * Here one map keyed by the smid holds the device (or, rarely, the devices) that committed it, so
 * a commit is one lookup and one insert in one table, and the map's insertion order needs only a
 * queue of smids, not of pairs. On the metrics listener alone over the synthetic clean exchange
 * (instructions under cachegrind, 150k minus 50k messages, bound 100k) it took ~1.6k of ~72k
 * instructions a message off (the generator's included in both).
 *
 * Eviction goes by smid, oldest first, and takes every device of that smid with it: a pair added
 * to an old smid may be forgotten a little early — never late — and the bound always holds.
 */
export class BoundedPairSet {
  /** smid → the device that committed it, or the devices, in order, when more than one did. */
  private readonly bySecond = new Map<string, string | string[]>();
  /** The smids in insertion order from `head`; '' where one was already forgotten. */
  private order: string[] = [];
  private head = 0;
  private count = 0;

  constructor(readonly max: number) {}

  /** Pairs held. */
  get size(): number {
    return this.count;
  }

  has(a: string, b: string): boolean {
    const held = this.bySecond.get(b);
    return held === undefined ? false : typeof held === 'string' ? held === a : held.includes(a);
  }

  /** Adds the pair; true when it was not held. */
  add(a: string, b: string): boolean {
    const held = this.bySecond.get(b);
    if (held === undefined) {
      this.bySecond.set(b, a);
      this.order.push(b);
    } else if (typeof held === 'string') {
      if (held === a) return false;
      this.bySecond.set(b, [held, a]);
    } else {
      if (held.includes(a)) return false;
      held.push(a);
    }
    if (++this.count > this.max) this.evict();
    return true;
  }

  private evict(): void {
    const order = this.order;
    while (this.count > this.max && this.head < order.length) {
      const b = order[this.head]!;
      order[this.head++] = '';
      const held = this.bySecond.get(b);
      if (held === undefined) continue;
      this.bySecond.delete(b);
      this.count -= typeof held === 'string' ? 1 : held.length;
    }
    // The forgotten front is dropped once it is most of the queue: a copy per ~max additions.
    if (this.head > 8192 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
  }
}
