/**
 * A Map that forgets its oldest entries beyond `max`. The metrics listener keeps per-message
 * state (send time by cmid, request time by rid) until the answer comes; an answer that never
 * comes (a dropped msg:A, a lost message) must not make a long run or the monitor grow without
 * bound. Map iteration order is insertion order, so the first key is the oldest.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    // Size first: below the bound (the usual case) this is one hash lookup per set, not two.
    if (this.size >= this.max && !this.has(key)) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
