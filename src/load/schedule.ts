/**
 * The open-model schedule, pure: times in, decisions out (k6's constant-arrival-rate and
 * ramping-arrival-rate executors, lib/executor/*_arrival_rate.go). The clock alone decides when
 * send i is due — never a reply — so a slow server cannot lower the offered rate; the engine
 * counts a send it cannot start as dropped and measures latency from the time given here.
 *
 * The rate is piecewise linear (a constant executor is one flat stage). Arrival i (from 0) is due
 * at the time the integral of the rate reaches i: a constant rate r gives 0, 1/r, 2/r, …
 *
 * A run split into n slices (worker processes, shards) gives slice k the arrivals i ≡ k (mod n):
 * the slices' offered rates add up exactly to the profile's, and the union of their schedules is
 * the single-process schedule.
 */

import type { Executor } from './profile/types.js';

interface Segment {
  startMs: number;
  durationMs: number;
  /** Rates at both ends, per second. */
  r0: number;
  r1: number;
  /** Arrivals due before the segment starts (the integral up to startMs). */
  before: number;
}

export class ArrivalSchedule {
  readonly durationMs: number;
  /** Arrivals in the whole run. */
  readonly total: number;
  private readonly segments: Segment[] = [];

  constructor(executor: Executor) {
    const stages =
      executor.type === 'constant-arrival-rate'
        ? [{ from: executor.rate, to: executor.rate, durationMs: executor.durationMs }]
        : executor.stages.map((s, i) => ({
            from: i === 0 ? executor.startRate : executor.stages[i - 1]!.target,
            to: s.target,
            durationMs: s.durationMs,
          }));
    let t = 0;
    let before = 0;
    for (const s of stages) {
      this.segments.push({ startMs: t, durationMs: s.durationMs, r0: s.from, r1: s.to, before });
      before += ((s.from + s.to) / 2) * (s.durationMs / 1000);
      t += s.durationMs;
    }
    this.durationMs = t;
    // Arrivals i < integral over the run, less a hair so float error cannot invent one.
    this.total = Math.max(0, Math.ceil(before - 1e-9));
  }

  /** Offered rate at `tMs` (messages per second); 0 outside the run. */
  rateAt(tMs: number): number {
    const s = this.segmentAt(tMs);
    if (!s) return 0;
    return s.r0 + ((s.r1 - s.r0) * (tMs - s.startMs)) / s.durationMs;
  }

  /** Arrivals due strictly before `tMs`: those whose timeOf is below it. */
  countBefore(tMs: number): number {
    if (tMs <= 0) return 0;
    if (tMs >= this.durationMs) return this.total;
    const s = this.segmentAt(tMs)!;
    const x = (tMs - s.startMs) / 1000;
    const d = s.durationMs / 1000;
    const integral = s.before + s.r0 * x + ((s.r1 - s.r0) * x * x) / (2 * d);
    let c = Math.min(this.total, Math.max(0, Math.ceil(integral - 1e-9)));
    // Settle float error against timeOf, the definition (a ramp from rate 0 starts very slowly).
    while (c < this.total && this.timeOf(c) < tMs) c++;
    while (c > 0 && this.timeOf(c - 1) >= tMs) c--;
    return c;
  }

  /** When arrival `i` (from 0) is due, in ms since the run began. */
  timeOf(i: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.before <= i) lo = mid;
      else hi = mid - 1;
    }
    // The last such segment: a stage holding no arrival shares its `before` with the next one.
    const s = this.segments[lo]!;
    const need = i - s.before;
    const d = s.durationMs / 1000;
    const a = (s.r1 - s.r0) / (2 * d);
    let x: number;
    if (Math.abs(a) < 1e-12) {
      x = s.r0 > 0 ? need / s.r0 : 0;
    } else {
      // a·x² + r0·x − need = 0, the root inside the segment.
      x = (-s.r0 + Math.sqrt(Math.max(0, s.r0 * s.r0 + 4 * a * need))) / (2 * a);
    }
    return s.startMs + Math.min(s.durationMs, Math.max(0, x * 1000));
  }

  private segmentAt(tMs: number): Segment | undefined {
    if (tMs < 0 || tMs >= this.durationMs) return undefined;
    for (const s of this.segments) if (tMs < s.startMs + s.durationMs) return s;
    return undefined;
  }
}

/** Slice k of n: the arrivals i ≡ k (mod n). The whole run is slice 0 of 1. */
export interface Slice {
  index: number;
  count: number;
}

export const WHOLE: Slice = Object.freeze({ index: 0, count: 1 });

/** Slice `inner` of the part that slice `outer` holds: shard × worker → one global slice. */
export function nestSlice(outer: Slice, inner: Slice): Slice {
  return { index: outer.index + outer.count * inner.index, count: outer.count * inner.count };
}

/**
 * Walks one slice's arrivals in time order. `due(now)` hands out every arrival due at or before
 * `now` (late ones too, with their own scheduled time: lateness is measured, never hidden).
 */
export class Dispatcher {
  /** The next arrival of this slice (global index). */
  private next: number;

  constructor(
    private readonly schedule: ArrivalSchedule,
    private readonly slice: Slice,
  ) {
    this.next = slice.index;
  }

  /** Arrivals of this slice in the whole run. */
  get total(): number {
    const { index, count } = this.slice;
    return index >= this.schedule.total ? 0 : Math.ceil((this.schedule.total - index) / count);
  }

  /** True when every arrival has been handed out. */
  get done(): boolean {
    return this.next >= this.schedule.total;
  }

  /** Scheduled time of the next arrival, or Infinity when done. */
  nextTime(): number {
    return this.done ? Number.POSITIVE_INFINITY : this.schedule.timeOf(this.next);
  }

  /**
   * Calls `take(i, local, scheduledMs)` for each arrival due by `nowMs`; `local` counts this
   * slice's arrivals from 0 (what picks the sender). Returns how many were handed out.
   */
  due(nowMs: number, take: (global: number, local: number, scheduledMs: number) => void): number {
    let n = 0;
    while (!this.done) {
      const at = this.schedule.timeOf(this.next);
      if (at > nowMs) break;
      const local = (this.next - this.slice.index) / this.slice.count;
      take(this.next, local, at);
      this.next += this.slice.count;
      n++;
    }
    return n;
  }

  /** Stops handing out arrivals (abort-on-fail): the rest were never offered. */
  stop(): void {
    this.next = this.schedule.total;
  }
}
