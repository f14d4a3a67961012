/**
 * A load worker's metrics: the history's (the same listener as `imspec run`) and the load's own
 * figures — scheduled and dropped sends, what the ledger decides as it reaches it (lost, app and
 * wire duplicates, seq gaps, unknown outcomes: the series a case gets from recordCheckStats), in
 * flight, bots connected — moved to where the worker's figures stand at each tick.
 */

import type { LedgerCounters } from '../../checker/ledger-contract.js';
import type { Finding } from '../../checker/types.js';
import { checkedCells, metricsListener, recordFindings } from '../../metrics/from-history.js';
import type { ImspecMetrics } from '../../metrics/registry.js';
import type { LoadHistory } from './load-history.js';
import { DROP_REASONS, type DropReason } from './messages.js';

/** Where the worker's figures stand. */
export interface WorkerFigures {
  offered: number;
  dropped: Record<DropReason, number>;
  /** Messages in the senders' windows (sent and unsettled, or queued while disconnected). */
  inWindow: number;
  connected: number;
  counters: LedgerCounters;
}

export interface WorkerMetrics {
  /** Moves the load's own series to where the figures stand. */
  tick: () => void;
  /** Counts the ledger's findings (at the end, when it has judged). */
  findings: (findings: readonly Pick<Finding, 'requirement' | 'level'>[]) => void;
  /** Stops the history listener (when the ledger stops: both end at the same event). */
  unfeed: () => void;
}

/** Subscribes the history listener; returns what moves the rest. */
export function workerMetrics(
  metrics: ImspecMetrics,
  base: { scenario: string; driver: string; suite: string },
  history: LoadHistory,
  figures: () => WorkerFigures,
): WorkerMetrics {
  const unfeed = history.subscribe(metricsListener(metrics, base));
  const scheduled = metrics.cell('loadScheduled', base);
  const dropped = DROP_REASONS.map((reason) => ({
    reason,
    cell: metrics.cell('loadDropped', { ...base, reason }),
    seen: 0,
  }));
  const checked = checkedCells(metrics, base);
  let seenOffered = 0;
  // Counters move by what changed since the last look; gauges are set. The checker's figures are
  // the ledger's verdicts, counted as it reaches them (never back: a figure only rises).
  const tick = () => {
    const f = figures();
    const c = f.counters;
    scheduled.inc(f.offered - seenOffered);
    seenOffered = f.offered;
    for (const d of dropped) {
      d.cell.inc(f.dropped[d.reason] - d.seen);
      d.seen = f.dropped[d.reason];
    }
    checked.add(c);
    metrics.m.loadInFlight.set(base, f.inWindow);
    metrics.m.loadBotsConnected.set(base, f.connected);
  };
  return { tick, findings: (findings) => recordFindings(metrics, findings, base), unfeed };
}
