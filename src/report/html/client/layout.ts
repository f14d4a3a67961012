/**
 * The diagram's rows and their vertical positions. Pure (no DOM), so it is tested in Node.
 *
 * Time runs down. Each event gets a row; a pause between two events adds space growing with the
 * logarithm of its length, so bursts stay compact and idle stretches (a retransmit timer, a kill
 * and restart) show. Long runs of ordinary events — the repeated exchanges of a big case — fold
 * into one row that expands on click; rows near what matters (evidence, faults, target events)
 * never fold.
 */

import type { OmittedRange, TimelineEvent, TimelineModel } from '../model.js';

export const ROW_HEIGHT = 22;
export const FOLD_HEIGHT = 26;
/** Extra pixels a pause may add at most. */
const MAX_STRETCH = 56;

export type Row =
  | { r: 'event'; ev: TimelineEvent; t: number; y: number; h: number }
  | { r: 'omitted'; range: OmittedRange; t: number; y: number; h: number }
  | {
      r: 'folded';
      /** Index into timeline.events of the first folded event (the key to expand it). */
      start: number;
      count: number;
      byType: Record<string, number>;
      t: number;
      y: number;
      h: number;
    };

export interface FoldOptions {
  /** Fold at all. */
  fold: boolean;
  /** Rows kept on each side of an important event. */
  context: number;
  /** Shortest run of ordinary events that folds. */
  minRun: number;
  /** Starts (timeline.events indexes) of folds the user opened. */
  expanded: ReadonlySet<number>;
}

export interface Layout {
  rows: Row[];
  height: number;
  /** History index → row, for the events shown. */
  rowOf: Map<number, number>;
}

/** History indexes that must never fold: faults, the frames they hit, target and step events, invalid frames, failed asserts. */
export function alwaysShown(tl: TimelineModel): Set<number> {
  const out = new Set<number>();
  for (const e of tl.events) {
    if (e.k === 'fault') {
      out.add(e.i);
      if (e.frameI !== undefined) out.add(e.frameI);
    } else if (e.k === 'target' || e.k === 'step') out.add(e.i);
    else if (e.k === 'frame' && (e.invalid !== undefined || e.fault !== undefined)) out.add(e.i);
    else if (e.k === 'note' && e.failed) out.add(e.i);
  }
  return out;
}

/** Rows for the timeline: events, folds of ordinary runs, and what the builder left out. */
export function buildRows(tl: TimelineModel, important: ReadonlySet<number>, opts: FoldOptions): Row[] {
  const events = tl.events;
  const shown = new Uint8Array(events.length);
  if (!opts.fold) shown.fill(1);
  else {
    for (let k = 0; k < events.length; k++) {
      if (!important.has(events[k]!.i)) continue;
      const lo = Math.max(0, k - opts.context);
      const hi = Math.min(events.length - 1, k + opts.context);
      for (let j = lo; j <= hi; j++) shown[j] = 1;
    }
    // Runs too short to be worth a fold are shown; so are the first and last few rows of the case.
    let k = 0;
    while (k < events.length) {
      if (shown[k]) {
        k++;
        continue;
      }
      let end = k;
      while (end + 1 < events.length && !shown[end + 1]) end++;
      if (end - k + 1 < opts.minRun || opts.expanded.has(k)) shown.fill(1, k, end + 1);
      k = end + 1;
    }
  }
  const rows: Row[] = [];
  const omitted = [...tl.omitted].sort((a, b) => a.from - b.from);
  let o = 0;
  const flushOmitted = (beforeI: number) => {
    while (o < omitted.length && omitted[o]!.from < beforeI) {
      const range = omitted[o++]!;
      rows.push({ r: 'omitted', range, t: range.tFrom, y: 0, h: FOLD_HEIGHT });
    }
  };
  let k = 0;
  while (k < events.length) {
    const ev = events[k]!;
    flushOmitted(ev.i);
    if (shown[k]) {
      rows.push({ r: 'event', ev, t: ev.t, y: 0, h: ROW_HEIGHT });
      k++;
      continue;
    }
    const start = k;
    const byType: Record<string, number> = {};
    while (k < events.length && !shown[k]) {
      const e = events[k]!;
      const label = e.k === 'frame' ? e.type : e.k === 'note' ? e.kind : e.k;
      byType[label] = (byType[label] ?? 0) + 1;
      k++;
    }
    rows.push({ r: 'folded', start, count: k - start, byType, t: ev.t, y: 0, h: FOLD_HEIGHT });
  }
  flushOmitted(Number.POSITIVE_INFINITY);
  return rows;
}

/** Extra space for a pause of `dtMs` before a row. */
export function stretch(dtMs: number): number {
  if (dtMs <= 2) return 0;
  return Math.min(MAX_STRETCH, Math.round(9 * Math.log2(dtMs / 2)));
}

/** Positions the rows top to bottom (mutates y), returns the layout. */
export function layout(rows: Row[], top = 8): Layout {
  let y = top;
  let prevT: number | undefined;
  const rowOf = new Map<number, number>();
  rows.forEach((row, index) => {
    if (prevT !== undefined && row.r === 'event') y += stretch(row.t - prevT);
    row.y = y;
    y += row.h;
    if (row.r === 'event') {
      rowOf.set(row.ev.i, index);
      prevT = row.t;
    } else prevT = undefined;
  });
  return { rows, height: y + top, rowOf };
}

/** The y of time `t` (ms): interpolated between the rows around it (for arrows that a delay stretched). */
export function yAt(lay: Layout, t: number): number {
  const rows = lay.rows;
  if (rows.length === 0) return 0;
  let lo = 0;
  let hi = rows.length - 1;
  if (t <= rows[0]!.t) return rows[0]!.y + rows[0]!.h / 2;
  if (t >= rows[hi]!.t) return rows[hi]!.y + rows[hi]!.h / 2;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.t <= t) lo = mid;
    else hi = mid;
  }
  const a = rows[lo]!;
  const b = rows[hi]!;
  const ya = a.y + a.h / 2;
  const yb = b.y + b.h / 2;
  return b.t === a.t ? ya : ya + ((t - a.t) / (b.t - a.t)) * (yb - ya);
}

/** Index of the first row whose bottom is below `y` (rows are sorted by y). */
export function firstRowAt(lay: Layout, y: number): number {
  let lo = 0;
  let hi = lay.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = lay.rows[mid]!;
    if (r.y + r.h < y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
