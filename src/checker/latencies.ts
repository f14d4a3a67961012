/**
 * LedgerStats' three latency series — msg:R→msg:A, send→first receipt, send→first commit — each
 * message's value told by the pass as its events come in, then sorted at the end. The streaming
 * ledger's TimingSink is told the same numbers (messages.ts passes on what note* returns), with
 * one difference: an answer that came before any msg:R naming its message (that msg:R came
 * later) has its msg:R→msg:A (negative) in LedgerStats, told when that msg:R comes, but never
 * reaches the sink, which hears of a message's acceptance only at its msg:A.
 */

import type { Scan } from './context.js';
import { sortFloat64 } from './sort.js';

/** The series, as indexes of Latencies' columns. */
const ACK = 0;
const RECEIPT = 1;
const DELIVERY = 2;

/**
 * Each message's three latencies (ms; NaN: not known), told by the pass the moment a message's
 * second event of a pair is known (noteAck, noteReceipt, noteDelivery), then read in id order by
 * finishStats. Why: reading the two events' times back at the end is a cache miss each on a
 * multi-GB history (5% of check() on 1M messages); when the pass records an index, that event and
 * its partner were just read. A value told is final: every index involved is set once (a
 * message's first receipt is the smaller of two set-once indexes, and a later one is larger), and
 * a live message's events are never forgotten (retire.ts forgets only below the oldest live
 * message's origin, and all of a message's events come after its origin). Messages below `base`
 * are retired (the streaming ledger); their values go with them.
 */
export class Latencies {
  base = 0;
  /** ACK, RECEIPT, DELIVERY; entry k is message base + k. */
  private readonly cols: Float64Array[] = [filled(1024, false), filled(1024, false), filled(1024, false)];

  /** Room for `n` messages on a shared buffer, as MessageTable.reserve (see tables.ts Store). */
  reserve(n: number): void {
    this.ensure(this.base + n, true);
  }

  /** Whether a caller reserved room (a whole history: check()); growth stays shared then. */
  get reserved(): boolean {
    return this.cols[0]!.buffer instanceof SharedArrayBuffer;
  }

  /** Entries held: what the columns cost follows the live messages, not the run. */
  get held(): number {
    return this.cols[0]!.length;
  }

  /** The value told for message m, or NaN. */
  get(series: number, m: number): number {
    const k = m - this.base;
    const col = this.cols[series]!;
    return k >= 0 && k < col.length ? col[k]! : Number.NaN;
  }

  set(series: number, m: number, ms: number): void {
    const k = m - this.base;
    if (k < 0) return;
    if (k >= this.cols[0]!.length) this.ensure(m + 1, this.reserved);
    this.cols[series]![k] = ms;
  }

  /** Forgets messages below `base` (with MessageTable.retire). */
  retire(base: number): void {
    const k = base - this.base;
    if (k <= 0) return;
    for (const col of this.cols) col.copyWithin(0, k).fill(Number.NaN, Math.max(0, col.length - k));
    this.base = base;
  }

  private ensure(end: number, shared: boolean): void {
    const need = end - this.base;
    const len = this.cols[0]!.length;
    if (need <= len) return;
    for (let c = 0; c < this.cols.length; c++) {
      const grown = filled(Math.max(need, 2 * len), shared);
      grown.set(this.cols[c]!);
      this.cols[c] = grown;
    }
  }
}

/** `n` doubles; on a SharedArrayBuffer when `shared`, out of V8's external-memory budget (tables.ts Store). */
function f64(n: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

function filled(n: number, shared: boolean): Float64Array {
  return f64(n, shared).fill(Number.NaN);
}

/** msg:R→msg:A: the message's first msg:R to its first msg:A. Told on either; returns it (or NaN). */
export function noteAck(s: Scan, m: number): number {
  const t = s.l.msgs;
  const r = t.firstRIdx.get(m);
  const a = t.acceptIdx.get(m);
  if (r < 0 || a < 0) return Number.NaN;
  return told(s, ACK, m, s.l.log.t(a) - s.l.log.t(r));
}

/** Send (the app's, else the first msg:R) → the first receipt of any status. Told on each receipt. */
export function noteReceipt(s: Scan, m: number): number {
  const t = s.l.msgs;
  const r = t.firstRcptIdx(m);
  if (r < 0) return Number.NaN;
  return told(s, RECEIPT, m, s.l.log.t(r) - s.l.log.t(t.originIdx.get(m)));
}

/** Send → the first commit on any device. Told on the first commit. */
export function noteDelivery(s: Scan, m: number): number {
  const t = s.l.msgs;
  const c = t.commitIdx.get(m);
  if (c < 0) return Number.NaN;
  return told(s, DELIVERY, m, s.l.log.t(c) - s.l.log.t(t.originIdx.get(m)));
}

function told(s: Scan, series: number, m: number, ms: number): number {
  s.latencies.set(series, m, ms);
  return ms;
}

/** Latencies sorted ascending, with the message behind each kept for evidence. */
export interface Series {
  values: number[];
  /** The slowest message id (for evidence), or -1. */
  worst: number;
}

/** The three series over the live messages, for finishStats. */
export function latencySeries(s: Scan): { ack: Series; receipt: Series; delivery: Series } {
  const t = s.l.msgs;
  const lat = s.latencies;
  const n = t.size - t.base;
  // Two buffers for all three series: on a big run, first touching fresh pages costs as much as a sort.
  const buf = f64(n, lat.reserved);
  const scratch = f64(n, lat.reserved);
  return {
    ack: series(lat, ACK, t.base, t.size, buf, scratch),
    receipt: series(lat, RECEIPT, t.base, t.size, buf, scratch),
    delivery: series(lat, DELIVERY, t.base, t.size, buf, scratch),
  };
}

/** A series over messages [from, to): `buf` and `scratch` (≥ to − from) are clobbered. */
function series(
  lat: Latencies,
  kind: number,
  from: number,
  to: number,
  buf: Float64Array,
  scratch: Float64Array,
): Series {
  let n = 0;
  let worst = -1;
  let worstValue = Number.NEGATIVE_INFINITY;
  for (let m = from; m < to; m++) {
    const v = lat.get(kind, m);
    if (Number.isNaN(v)) continue;
    buf[n++] = v;
    if (v > worstValue) {
      worstValue = v;
      worst = m;
    }
  }
  const sorted = sortFloat64(buf.subarray(0, n), scratch);
  // A plain loop: Array.from on a typed array goes through the iterator, an object per element.
  const values = new Array<number>(n);
  for (let k = 0; k < n; k++) values[k] = sorted[k]!;
  return { values, worst };
}
