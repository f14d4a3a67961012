/**
 * The checker's public API: `check(history, context)` → findings with evidence, and ledger stats.
 */

export { check, DEFAULT_GRACE_MS, DEFAULT_MAX_FINDINGS_PER_RULE, DEFAULT_SETTLE_MS } from './check.js';
export { percentile } from './stats.js';
export type { CheckContext, CheckResult, Finding, FindingKind, LedgerStats } from './types.js';
