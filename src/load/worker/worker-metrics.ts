/**
 * A load worker's metrics: the history's (the same listener as `imspec run`) and the load's own
 * figures — scheduled and dropped sends, lost and app duplicates as the ledger reaches them, in
 * flight, bots connected — moved to where the worker's figures stand at each tick.
 */

import type { LedgerCounters } from '../../checker/ledger-contract.js';
import { metricsListener } from '../../metrics/from-history.js';
import type { ImspecMetrics } from '../../metrics/registry.js';
import type { LoadHistory } from './load-history.js';
import type { DropReason } from './messages.js';

/** Where the worker's figures stand. */
export interface WorkerFigures {
  offered: number;
  dropped: Record<DropReason, number>;
  /** Sends in the in-flight window. */
  inWindow: number;
  connected: number;
  counters: LedgerCounters;
}

/** Subscribes the history listener; returns the tick that moves the load's own series. */
export function workerMetrics(
  metrics: ImspecMetrics,
  base: { scenario: string; driver: string; suite: string },
  history: LoadHistory,
  figures: () => WorkerFigures,
): () => void {
  history.subscribe(metricsListener(metrics, base));
  const scheduled = metrics.cell('loadScheduled', base);
  const dropped = {
    window: metrics.cell('loadDropped', { ...base, reason: 'window' }),
    'no-bot': metrics.cell('loadDropped', { ...base, reason: 'no-bot' }),
  };
  const lost = metrics.cell('messagesLost', base);
  const appDuplicates = metrics.cell('duplicates', { ...base, layer: 'app' });
  let seen = { offered: 0, window: 0, noBot: 0, lost: 0, app: 0 };
  // Counters move by what changed since the last look; gauges are set. Lost and app duplicates
  // are the ledger's verdicts, counted as it reaches them.
  return () => {
    const f = figures();
    const c = f.counters;
    scheduled.inc(f.offered - seen.offered);
    dropped.window.inc(f.dropped.window - seen.window);
    dropped['no-bot'].inc(f.dropped['no-bot'] - seen.noBot);
    lost.inc(Math.max(0, c.lost - seen.lost));
    appDuplicates.inc(Math.max(0, c.appDuplicates - seen.app));
    seen = {
      offered: f.offered,
      window: f.dropped.window,
      noBot: f.dropped['no-bot'],
      lost: Math.max(seen.lost, c.lost),
      app: Math.max(seen.app, c.appDuplicates),
    };
    metrics.m.loadInFlight.set(base, f.inWindow);
    metrics.m.loadBotsConnected.set(base, f.connected);
  };
}
