export * from './definitions.js';
export {
  attachHistoryMetrics,
  faultLabel,
  type HistoryMetricsOptions,
  metricsListener,
  recordCaseResult,
  recordCheckStats,
} from './from-history.js';
export {
  awaitScrape,
  type HealthStatus,
  lingerAndClose,
  METRICS_LINGER_DEFAULT_MS,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from './http.js';
export { type ProbeFailureReason, type ProbeOutcome, recordProbe } from './probe.js';
export {
  checkPushgatewayUrl,
  deleteFromGateway,
  groupUrl,
  type PushOptions,
  pushAfterVerdict,
  pushToGateway,
} from './pushgateway.js';
export { createMetrics, type ImspecMetrics, type MetricHandles } from './registry.js';
export { type ExpositionFormat, negotiateFormat, renderMetrics } from './render.js';
export { type RunMetrics, runMetrics } from './run-metrics.js';
export {
  EMBEDDED_TARGET,
  isTargetName,
  labelTarget,
  TARGET_LABEL,
  TARGET_NAME_HINT,
  targetLabel,
} from './target.js';
