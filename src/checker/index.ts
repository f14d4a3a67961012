/**
 * The checker's public API: `check(history, context)` → findings with evidence, and ledger stats.
 */

export { check, DEFAULT_GRACE_MS, DEFAULT_MAX_FINDINGS_PER_RULE, DEFAULT_SETTLE_MS } from './check.js';
export type {
  EvidencedFinding,
  LatencySink,
  LedgerContext,
  LedgerCounters,
  LedgerFactory,
  LedgerLatency,
  StreamLedger,
  StreamResult,
} from './ledger-contract.js';
export { addCounters, LEDGER_COUNTERS, zeroCounters } from './ledger-contract.js';
export { percentile } from './stats.js';
export { DEFAULT_MAX_AGE_MS, StreamingLedger, streamingLedger } from './streaming.js';
export type { CheckContext, CheckResult, Finding, FindingKind, LedgerStats } from './types.js';
