/**
 * Load mode (`imspec load`): open-model retransmission load under faults, judged by the streaming
 * ledger, with k6-style thresholds. docs/load.md is the guide.
 */

export type {
  EvidencedFinding,
  LatencySink,
  LedgerContext,
  LedgerCounters,
  LedgerFactory,
  StreamLedger,
  StreamResult,
} from '../checker/ledger-contract.js';
export { AggregatedRegistry } from './aggregate-registry.js';
export type { LoadHooks, LoadProgress } from './hooks.js';
export { LATENCY_FIGURE_LIST, LatencyHistograms, type LatencySummary } from './latency.js';
export { LOAD_RUN_DEFAULTS, type LoadOptions, resolveLoadOptions } from './options.js';
export { buildGroups, connectionCount } from './population.js';
export { LOAD_DEFAULTS } from './profile/defaults.js';
export {
  checkProfileFile,
  checkProfileText,
  formatProfileIssue,
  loadProfileFile,
  loadProfileText,
  type ProfileCheck,
  type ProfileIssue,
} from './profile/load-profile.js';
export type * from './profile/types.js';
export { renderLoadJunit } from './report/junit.js';
export { createLoadReporters, type LoadReporter, renderLoadJson } from './report/reporters.js';
export { renderLoadSummary, renderProgress } from './report/text.js';
export { buildLoadResult, figuresOf, type LoadResult, type Merged, mergeWorkers } from './result.js';
export { runLoad, withDuration } from './run-load.js';
export { ArrivalSchedule, Dispatcher, nestSlice, type Slice } from './schedule.js';
export {
  evaluateThresholds,
  LATENCY_FIGURES,
  parseThreshold,
  type ThresholdOutcome,
} from './thresholds.js';
