/**
 * What a caller of `runLoad` can watch and steer: progress, readiness, metrics and Ctrl-C. Its own
 * file so run-control (which calls the hooks) and run-load (which takes them) both depend on it
 * and not on each other.
 */

import type { ImspecMetrics } from '../metrics/registry.js';
import type { WorkerSnapshot } from './worker/messages.js';
import type { WorkerMetricsSink } from './worker/process-worker.js';

/** Live view of a run, for progress and metrics. */
export interface LoadProgress {
  /** History time: ms since the schedule began. */
  t: number;
  durationMs: number;
  snapshots: WorkerSnapshot[];
}

export interface LoadHooks {
  /** Every second while the schedule runs (and drains). */
  onProgress?(progress: LoadProgress): void;
  /** Every few seconds while the population logs in (a big one takes a while). */
  onConnecting?(info: { bots: number; connected: number; ms: number }): void;
  /** Once, with the population connected. */
  onReady?(info: { bots: number; connected: number; failed: number; workers: number; ms: number }): void;
  /** The metric table the workers feed (in-process workers) or that receives their totals. */
  metrics?: ImspecMetrics;
  /** Where worker processes' metric registries go (an AggregatedRegistry). */
  workerMetrics?: WorkerMetricsSink;
  /**
   * Ctrl-C, as the CLI wires it: aborted before the first send, the run ends at once (nothing ran
   * to report); after it, sends stop, what was sent drains and is judged, and the result says
   * `interrupted`. Without it, SIGINT/SIGTERM end the run at once.
   */
  signal?: AbortSignal;
}
