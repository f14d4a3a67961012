/**
 * What `imspec monitor` records per probe cycle, in blackbox_exporter's shape:
 * imspec_probe_success (1/0) and imspec_probe_duration_seconds (gauges for the last cycle),
 * plus imspec_probe_failures_total{reason} so failures between scrapes are not missed.
 */

import type { BaseLabels, PROBE_FAILURE_REASONS } from './definitions.js';
import type { ImspecMetrics } from './registry.js';

export type ProbeFailureReason = (typeof PROBE_FAILURE_REASONS)[number];

export interface ProbeOutcome {
  success: boolean;
  durationSeconds: number;
  /** Why the cycle failed; required when `success` is false. */
  failure?: ProbeFailureReason;
}

export function recordProbe(metrics: ImspecMetrics, labels: BaseLabels, outcome: ProbeOutcome): void {
  metrics.zeroInit(labels);
  metrics.m.probeSuccess.set(labels, outcome.success ? 1 : 0);
  metrics.m.probeDuration.set(labels, outcome.durationSeconds);
  if (!outcome.success) metrics.m.probeFailures.inc({ ...labels, reason: outcome.failure ?? 'error' });
}
