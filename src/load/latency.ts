/**
 * Latency of a load run as HdrHistograms (hdr-histogram-js), microsecond resolution, three
 * significant digits: per figure, measured from the actual send and from the scheduled time.
 * Serialised with HdrHistogram's compressed encoding, so workers and shards merge exactly by
 * addition; percentiles are computed after the merge, never averaged.
 */

import * as hdr from 'hdr-histogram-js';
import type { LatencySink, LedgerLatency } from '../checker/ledger-contract.js';
import type { LatencyFigure } from './thresholds.js';

/** One hour in µs: anything slower is clamped (and a message that slow fails any threshold). */
export const HIGHEST_US = 3_600_000_000;

const FIGURE_OF: Record<LedgerLatency, LatencyFigure> = {
  msg_a: 'ack_latency.msg_a',
  ack_n: 'ack_latency.ack_n',
  delivery: 'delivery_latency',
};
const SCHEDULED_OF: Record<LedgerLatency, LatencyFigure> = {
  msg_a: 'ack_latency.msg_a.scheduled',
  ack_n: 'ack_latency.ack_n.scheduled',
  delivery: 'delivery_latency.scheduled',
};
export const LATENCY_FIGURE_LIST: readonly LatencyFigure[] = [
  ...Object.values(FIGURE_OF),
  ...Object.values(SCHEDULED_OF),
];

/**
 * HdrHistogram's slot of an integer value in [1, HIGHEST_US] with lowestDiscernibleValue 1 and
 * three significant digits (2048 sub-buckets, the upper half of each bucket in use above bucket
 * 0), as JsHistogram.countsArrayIndex computes it with log2, pow and a division: the bucket is
 * the bits above the top 11, the sub-bucket the top 11 bits. test/load/latency.test.ts holds it
 * to countsArrayIndex value by value.
 */
export function slotOf(us: number): number {
  const bucket = Math.max(0, 21 - Math.clz32(us));
  return (bucket << 10) + (us >>> bucket);
}

/** The lowest value of slot `i`: recorded there, it lands in `i` again. */
function slotValue(i: number): number {
  const bucket = Math.max(0, (i >> 10) - 1);
  return (i - (bucket << 10)) * 2 ** bucket;
}

/**
 * Counts of one figure not yet added to its histogram, by slot. Recording into the histogram
 * costs ~90 ns a value (log2, pow, a division, min/max upkeep), six values per message; here a
 * value is one increment, and the counts go into the histogram, slot by slot, before anything
 * reads it — the same counts, total, minimum and maximum as recording each value gives.
 */
class Pending {
  readonly counts = new Uint32Array(slotOf(HIGHEST_US) + 1);
  lo = Number.POSITIVE_INFINITY;
  hi = -1;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  add(us: number): void {
    const i = slotOf(us);
    this.counts[i]!++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  /**
   * Adds what is pending to `h`. A slot's count goes in at the slot's lowest value, except in the
   * minimum's slot, which goes in at the minimum, and the maximum, which goes in as itself: no
   * value below the minimum or above the maximum is recorded, and both are, so the histogram's
   * min and max are the values', as recording each value gives.
   */
  flushInto(h: hdr.Histogram): void {
    if (this.hi < 0) return;
    const { counts, min, max } = this;
    const minSlot = slotOf(min);
    h.recordValue(max);
    counts[slotOf(max)]!--;
    for (let i = this.lo; i <= this.hi; i++) {
      const n = counts[i]!;
      if (n === 0) continue;
      h.recordValueWithCount(i === minSlot ? min : slotValue(i), n);
      counts[i] = 0;
    }
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = -1;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }
}

/** One figure's histogram (exported for the tests' reference recording). */
export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

/** The summary a report shows for one figure, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistograms implements LatencySink {
  private readonly hist = new Map<LatencyFigure, hdr.Histogram>();
  /** Recorded, not yet in `hist` (made at the first record: merged and decoded sets never record). */
  private pending: Map<LatencyFigure, Pending> | undefined;

  constructor() {
    for (const f of LATENCY_FIGURE_LIST) this.hist.set(f, newHistogram());
  }

  record(figure: LedgerLatency, ms: number, scheduledDelayMs?: number): void {
    this.put(FIGURE_OF[figure], ms);
    if (scheduledDelayMs !== undefined) this.put(SCHEDULED_OF[figure], ms + Math.max(0, scheduledDelayMs));
  }

  private put(figure: LatencyFigure, ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));
    if (Number.isNaN(us)) {
      this.hist.get(figure)!.recordValue(us); // as before: counted, in no slot
      return;
    }
    let pending = this.pending;
    if (pending === undefined) {
      pending = new Map(LATENCY_FIGURE_LIST.map((f) => [f, new Pending()]));
      this.pending = pending;
    }
    pending.get(figure)!.add(us);
  }

  /** Every read goes through here: what is pending goes into the histograms first. */
  private get h(): Map<LatencyFigure, hdr.Histogram> {
    if (this.pending) for (const [f, p] of this.pending) p.flushInto(this.hist.get(f)!);
    return this.hist;
  }

  /** Milliseconds at percentile `p` (0–100); NaN when nothing was recorded. */
  percentile(figure: LatencyFigure, p: number): number {
    const h = this.h.get(figure)!;
    return h.totalCount === 0 ? Number.NaN : h.getValueAtPercentile(p) / 1000;
  }

  max(figure: LatencyFigure): number {
    const h = this.h.get(figure)!;
    return h.totalCount === 0 ? Number.NaN : h.maxValue / 1000;
  }

  min(figure: LatencyFigure): number {
    const h = this.h.get(figure)!;
    return h.totalCount === 0 ? Number.NaN : h.minNonZeroValue / 1000;
  }

  mean(figure: LatencyFigure): number {
    const h = this.h.get(figure)!;
    return h.totalCount === 0 ? Number.NaN : h.mean / 1000;
  }

  count(figure: LatencyFigure): number {
    return this.h.get(figure)!.totalCount;
  }

  summary(figure: LatencyFigure): LatencySummary {
    return {
      count: this.count(figure),
      p50: this.percentile(figure, 50),
      p90: this.percentile(figure, 90),
      p99: this.percentile(figure, 99),
      p999: this.percentile(figure, 99.9),
      max: this.max(figure),
      mean: this.mean(figure),
    };
  }

  /** Adds another set (a worker's, a shard's): exact, value by value. */
  add(other: LatencyHistograms): void {
    for (const f of LATENCY_FIGURE_LIST) this.h.get(f)!.add(other.h.get(f)!);
  }

  /**
   * What was recorded after `earlier` (an older copy of these same cumulative histograms): the
   * values of one interval, exact, for per-interval percentiles.
   */
  since(earlier: LatencyHistograms): LatencyHistograms {
    const out = new LatencyHistograms();
    for (const f of LATENCY_FIGURE_LIST) {
      const h = out.h.get(f)!;
      h.add(this.h.get(f)!);
      h.subtract(earlier.h.get(f)!);
    }
    return out;
  }

  /**
   * Counts between ascending upper edges (ms), for a report's histogram; a last open bin holds
   * what lies above the last edge. Empty bins are left out; an open bin's edge is -1.
   */
  bins(figure: LatencyFigure, edgesMs: readonly number[]): Array<[number, number]> {
    const counts = new Array<number>(edgesMs.length + 1).fill(0);
    // Histograms built here are JS ones (newHistogram), whose iterator walks every recorded value.
    const it = (this.h.get(figure)! as hdr.JsHistogram).recordedValuesIterator;
    it.reset();
    let bin = 0;
    while (it.hasNext()) {
      const step = it.next();
      const ms = step.valueIteratedTo / 1000;
      while (bin < edgesMs.length && ms > edgesMs[bin]!) bin++;
      counts[bin]! += step.countAtValueIteratedTo;
    }
    const out: Array<[number, number]> = [];
    counts.forEach((c, b) => {
      if (c > 0) out.push([edgesMs[b] ?? -1, c]);
    });
    return out;
  }

  /** figure → HdrHistogram compressed base64 (the result file's form). */
  encode(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of LATENCY_FIGURE_LIST) out[f] = hdr.encodeIntoCompressedBase64(this.h.get(f)!);
    return out;
  }

  static decode(encoded: Record<string, string>): LatencyHistograms {
    const set = new LatencyHistograms();
    for (const f of LATENCY_FIGURE_LIST) {
      const text = encoded[f];
      if (text === undefined) continue;
      set.h.get(f)!.add(hdr.decodeFromCompressedBase64(text, 32, false));
    }
    return set;
  }
}
