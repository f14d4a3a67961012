/**
 * Latency histograms for the report: fixed 1-2-5 logarithmic bins from 0.1 ms to 100 s, so the
 * histograms of different cases (and of a load run) line up, and a million samples become at most
 * 19 numbers. Pure.
 */

import type { LatencyModel } from './model.js';

/** Bin upper edges in ms: 0.1, 0.2, 0.5, 1, 2, 5, … 100000; a last open bin catches the rest. */
export const LATENCY_EDGES_MS: readonly number[] = Object.freeze(
  [-1, 0, 1, 2, 3, 4].flatMap((e) => [1, 2, 5].map((m) => m * 10 ** e)).concat([100_000]),
);

/**
 * A histogram of `samples` (ms, any order; the checker's are ascending already).
 * @returns undefined when there are no samples.
 */
export function latencyHistogram(name: string, samples: readonly number[]): LatencyModel | undefined {
  if (samples.length === 0) return undefined;
  const sorted = isAscending(samples) ? samples : [...samples].sort((a, b) => a - b);
  const counts = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
  let bin = 0;
  for (const v of sorted) {
    while (bin < LATENCY_EDGES_MS.length && v > LATENCY_EDGES_MS[bin]!) bin++;
    counts[bin]!++;
  }
  const bins: Array<[number, number]> = [];
  counts.forEach((c, b) => {
    if (c > 0) bins.push([LATENCY_EDGES_MS[b] ?? Number.POSITIVE_INFINITY, c]);
  });
  return {
    name,
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    bins: bins.map(([edge, c]) => [Number.isFinite(edge) ? edge : -1, c]),
  };
}

/** Nearest-rank quantile of an ascending, non-empty list, rounded to µs. */
export function quantile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank]! * 1000) / 1000;
}

function isAscending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) return false;
  return true;
}
