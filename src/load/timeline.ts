/**
 * A load run's time series, one point per progress tick (about a second): what the HTML report
 * charts and the JSON result keeps. Built from the workers' cumulative snapshots, merged exactly
 * (counters add, histograms merge), so each point is the difference between two ticks — the same
 * figures the summary and the thresholds read, sliced in time. Pure: the caller supplies ticks.
 */

import type { Merged } from './result.js';

/** Series by name; every array has one value per entry of `t`. */
export interface LoadTimeline {
  /** Seconds since the schedule began, at the end of each interval. */
  t: number[];
  /** Sends scheduled per second. */
  offered: number[];
  /** Messages sent per second (first attempts; retransmissions are counted apart). */
  achieved: number[];
  /** Sends that could not start (no window, no connected bot), per second. */
  dropped: number[];
  /** Messages sent and not yet settled at the end of the interval. */
  inFlight: number[];
  /** Retransmissions per second. */
  retransmits: number[];
  /** p99 of msg:R → msg:A among the acks of the interval, ms (null: none that interval). */
  ackP99Ms: (number | null)[];
  /** p99 of send → commit among the commits of the interval, ms (null: none that interval). */
  deliveryP99Ms: (number | null)[];
}

type Cumulative = Pick<Merged, 'offered' | 'dropped' | 'counters' | 'histograms'>;

export class TimelineRecorder {
  private readonly series: LoadTimeline = {
    t: [],
    offered: [],
    achieved: [],
    dropped: [],
    inFlight: [],
    retransmits: [],
    ackP99Ms: [],
    deliveryP99Ms: [],
  };
  private previous: { tMs: number; at: Cumulative } | undefined;

  /** One tick: `tMs` history time, `at` the run's cumulative figures at that moment. */
  add(tMs: number, at: Cumulative): void {
    const before = this.previous;
    const spanS = (tMs - (before?.tMs ?? 0)) / 1000;
    // A tick that lands at or before the last one (a late snapshot answer, or one before the
    // schedule began) carries no interval to divide by.
    if (spanS <= 0) return;
    this.previous = { tMs, at };
    const rate = (now: number, then: number) => round((now - then) / spanS, 1);
    const s = this.series;
    s.t.push(round(tMs / 1000, 3));
    s.offered.push(rate(at.offered, before?.at.offered ?? 0));
    s.achieved.push(rate(at.counters.sent, before?.at.counters.sent ?? 0));
    s.dropped.push(rate(at.dropped.total, before?.at.dropped.total ?? 0));
    s.inFlight.push(at.counters.inFlight);
    s.retransmits.push(rate(at.counters.retransmits, before?.at.counters.retransmits ?? 0));
    const interval = before ? at.histograms.since(before.at.histograms) : at.histograms;
    s.ackP99Ms.push(nullable(interval.percentile('ack_latency.msg_a', 99)));
    s.deliveryP99Ms.push(nullable(interval.percentile('delivery_latency', 99)));
  }

  result(): LoadTimeline {
    return this.series;
  }
}

function nullable(ms: number): number | null {
  return Number.isNaN(ms) ? null : round(ms, 3);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
