/**
 * Exemplars on the latency histograms: each bucket of a series remembers the last message that
 * fell in it (its cmid and smid), and the OpenMetrics exposition shows it after the bucket's
 * sample (`… 17 # {cmid="c-9",smid="s-41"} 0.31 1733390000.123`), so a latency outlier on a
 * dashboard links to the message that caused it — and to its frames in the run's wire log.
 * The Prometheus text format has no exemplars; they are dropped there.
 *
 * Why not prom-client's own `enableExemplars`: its `observe({labels, value, exemplarLabels})`
 * hashes the labels a second time, validates the label set and allocates an Exemplar per
 * observation; measured here it took 4–5.4 µs per observation against 1.9 µs without, and the
 * metrics listener makes three per message. A slot here costs a bucket search and three stores;
 * the label set is built when the registry is read (prom-client's `collect` hook), once per
 * bucket that changed, and written where prom-client's renderer looks for exemplars (the
 * series' `bucketExemplars`, keyed by upper bound, `-1` for +Inf — prom-client 15's layout,
 * pinned exactly in package.json; test/metrics/exemplars.test.ts fails if it moves).
 */

import type { Histogram } from 'prom-client';
import type { LabelName, Labels } from './definitions.js';

/**
 * OpenMetrics caps an exemplar's label set at 128 UTF-8 characters (names and values together);
 * prom-client throws beyond it. A longer pair is cut to the cmid alone, or left out.
 */
const MAX_EXEMPLAR_CHARS = 128;

/** The last message observed in each bucket of one histogram series. */
export interface ExemplarSlot {
  /**
   * Records that message `cmid` (server id `smid`, when known) took `seconds`. The ids are kept
   * as given and turned into labels when the registry is read; a non-string, non-number id is
   * left out (a frame without one, e.g. an XMPP stream-management ack).
   */
  note(seconds: number, cmid: unknown, smid?: unknown): void;
  /** `note` for a caller that already found the bucket, with `bucketOf` over these `bounds`. */
  noteAt(bucket: number, seconds: number, cmid: unknown, smid?: unknown): void;
  /** The series' bucket upper bounds (+Inf not included). */
  readonly bounds: readonly number[];
}

/**
 * The bucket of `value`: the index of the first bound it does not exceed, `bounds.length` for
 * +Inf (NaN falls in the first). prom-client's rule, shared by the histogram cells and the slots
 * so one observation searches the bounds once.
 */
export function bucketOf(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  return i;
}

interface PromExemplar {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

/** The part of prom-client 15's Histogram internals the renderer reads exemplars from. */
interface HistogramInternals {
  hashMap: Record<string, { labels: Labels; bucketExemplars?: Record<string, PromExemplar | null> }>;
  upperBounds: readonly number[];
}

class Slot implements ExemplarSlot {
  /** Per bucket index (the last one is +Inf): value, ids, wall-clock ms; `dirty` since the last flush. */
  readonly values: number[];
  readonly cmids: unknown[];
  readonly smids: unknown[];
  readonly times: number[];
  dirty = false;

  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[],
  ) {
    const n = bounds.length + 1;
    this.values = new Array<number>(n).fill(0);
    this.cmids = new Array<unknown>(n).fill(undefined);
    this.smids = new Array<unknown>(n).fill(undefined);
    this.times = new Array<number>(n).fill(0);
  }

  note(seconds: number, cmid: unknown, smid?: unknown): void {
    this.noteAt(bucketOf(this.bounds, seconds), seconds, cmid, smid);
  }

  noteAt(i: number, seconds: number, cmid: unknown, smid?: unknown): void {
    this.values[i] = seconds;
    this.cmids[i] = cmid;
    this.smids[i] = smid;
    this.times[i] = Date.now();
    this.dirty = true;
  }
}

const idText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

function labelSet(rawCmid: unknown, rawSmid: unknown): Record<string, string> | undefined {
  const cmid = idText(rawCmid);
  if (cmid === undefined) return undefined;
  const smid = idText(rawSmid);
  // Characters as OpenMetrics counts them: label names plus values.
  const cmidChars = 'cmid'.length + cmid.length;
  if (smid !== undefined && cmidChars + 'smid'.length + smid.length <= MAX_EXEMPLAR_CHARS) {
    return { cmid, smid };
  }
  return cmidChars <= MAX_EXEMPLAR_CHARS ? { cmid } : undefined;
}

/** The exemplar slots of one histogram; `flush` is its collect hook. */
export class ExemplarSlots {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly labelNames: readonly LabelName[]) {}

  private key(labels: Labels): string {
    return this.labelNames.map((l) => labels[l] ?? '').join('\u0000');
  }

  /** The slot of the series with exactly these labels (cached: resolve it once, note often). */
  slot(labels: Labels, histogram: Histogram<LabelName>): ExemplarSlot {
    const key = this.key(labels);
    let s = this.slots.get(key);
    if (!s) {
      s = new Slot({ ...labels }, (histogram as unknown as HistogramInternals).upperBounds);
      this.slots.set(key, s);
    }
    return s;
  }

  /** Writes the exemplars noted since the last read where prom-client's renderer finds them. */
  flush(histogram: Histogram<LabelName>): void {
    const internals = histogram as unknown as HistogramInternals;
    let pending = 0;
    for (const s of this.slots.values()) if (s.dirty) pending++;
    if (pending === 0) return;
    const series = new Map<string, HistogramInternals['hashMap'][string]>();
    for (const entry of Object.values(internals.hashMap)) series.set(this.key(entry.labels), entry);
    const bounds = internals.upperBounds;
    for (const [key, s] of this.slots) {
      if (!s.dirty) continue;
      const entry = series.get(key);
      // No observation reached the histogram yet (or it was reset): keep the slot for later.
      if (!entry) continue;
      s.dirty = false;
      entry.bucketExemplars ??= {};
      for (let i = 0; i < s.cmids.length; i++) {
        const set = labelSet(s.cmids[i], s.smids[i]);
        if (!set) continue;
        const bound = i < bounds.length ? String(bounds[i]) : '-1';
        entry.bucketExemplars[bound] = { labelSet: set, value: s.values[i]!, timestamp: s.times[i]! / 1000 };
      }
    }
  }
}
