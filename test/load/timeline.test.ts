/**
 * The load timeline (pure): per-second rates are differences of cumulative figures, p99s come
 * from the interval's own latencies (histogram differences), and late or repeated ticks are
 * ignored rather than dividing by zero.
 */

import { describe, expect, it } from 'vitest';
import { zeroCounters } from '../../src/checker/ledger-contract.js';
import { LatencyHistograms } from '../../src/load/latency.js';
import { TimelineRecorder } from '../../src/load/timeline.js';
import { LATENCY_EDGES_MS } from '../../src/report/html/index.js';

function at(offered: number, sent: number, retransmits: number, inFlight: number, ackMs: number[]) {
  const histograms = new LatencyHistograms();
  for (const ms of ackMs) histograms.record('msg_a', ms);
  return {
    offered,
    dropped: { window: 0, 'no-bot': 0, disconnected: 0, total: offered - sent },
    counters: { ...zeroCounters(), sent, retransmits, inFlight },
    histograms,
  };
}

describe('TimelineRecorder', () => {
  it('turns cumulative ticks into per-second rates and per-interval p99s', () => {
    const tl = new TimelineRecorder();
    const fast = Array.from({ length: 100 }, () => 2);
    tl.add(1000, at(100, 100, 0, 5, fast));
    // The second second: 150 more sends over 0.5 s, all slow; the first second's fast acks must
    // not dilute its p99.
    tl.add(1500, at(250, 240, 10, 7, [...fast, ...Array.from({ length: 140 }, () => 50)]));
    tl.add(1500, at(999, 999, 99, 99, fast)); // repeated instant: ignored
    tl.add(1200, at(999, 999, 99, 99, fast)); // late answer: ignored
    const s = tl.result();
    expect(s.t).toEqual([1, 1.5]);
    expect(s.offered).toEqual([100, 300]);
    expect(s.achieved).toEqual([100, 280]);
    expect(s.dropped).toEqual([0, 20]);
    expect(s.retransmits).toEqual([0, 20]);
    expect(s.inFlight).toEqual([5, 7]);
    expect(s.ackP99Ms[0]).toBeCloseTo(2, 1);
    expect(s.ackP99Ms[1]).toBeCloseTo(50, 0);
    expect(s.deliveryP99Ms).toEqual([null, null]);
  });
});

describe('LatencyHistograms.bins', () => {
  it('counts every value once into the report’s fixed bins, the open bin last', () => {
    const h = new LatencyHistograms();
    for (const ms of [0.05, 0.1, 0.7, 3, 3, 200_000]) h.record('msg_a', ms);
    const bins = h.bins('ack_latency.msg_a', LATENCY_EDGES_MS);
    expect(bins.reduce((n, [, c]) => n + c, 0)).toBe(6);
    expect(bins).toEqual([
      [0.1, 2],
      [1, 1],
      [5, 2],
      [-1, 1],
    ]);
  });
});
