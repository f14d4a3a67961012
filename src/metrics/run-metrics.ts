/**
 * Wires metrics into a conformance run: `plan` for the runner's onPlan hook (every case's series
 * at zero before the first case), `onHistory` for each case's history as it starts, and a Reporter whose `onCaseResult` adds what only the checker
 * knows (lost, app duplicates) and sets the case's verdict gauge.
 *
 * ```ts
 * const wiring = runMetrics(createMetrics(registry), 'ran');
 * await runSuites(options, { onHistory: wiring.onHistory, reporters: [...reporters, wiring.reporter] });
 * ```
 */

import type { History } from '../history/events.js';
import type { CaseResult, Reporter } from '../report/types.js';
import {
  attachHistoryMetrics,
  type HistoryMetricsOptions,
  recordCaseResult,
  recordCheckStats,
} from './from-history.js';
import type { ImspecMetrics } from './registry.js';

export interface RunMetrics {
  /**
   * Creates every series of every case at zero before the first case runs: a case whose series
   * appear only as it starts is first scraped mid-case, and increase() reads that first value as
   * no increase (measured: 161 of 1474 sends seen at a 1 s scrape).
   */
  plan(scenarios: readonly { id: string; suite: string }[]): void;
  onHistory(history: History, scenario: { id: string; suite: string }): void;
  reporter: Reporter;
}

export function runMetrics(
  metrics: ImspecMetrics,
  driver: string,
  options?: HistoryMetricsOptions,
): RunMetrics {
  const detach = new Map<string, () => void>();
  return {
    plan(scenarios) {
      for (const s of scenarios) metrics.zeroInit({ scenario: s.id, driver, suite: s.suite });
    },
    onHistory(history, scenario) {
      detach.get(scenario.id)?.();
      detach.set(
        scenario.id,
        attachHistoryMetrics(
          history,
          metrics,
          { scenario: scenario.id, driver, suite: scenario.suite },
          options,
        ),
      );
    },
    reporter: {
      onCaseResult(result: CaseResult) {
        detach.get(result.id)?.();
        detach.delete(result.id);
        if (result.stats)
          recordCheckStats(metrics, result.stats, { scenario: result.id, driver, suite: result.suite });
        recordCaseResult(metrics, result, driver);
      },
    },
  };
}
