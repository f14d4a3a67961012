/**
 * Verdicts, expected failures, reporters (console, JSON, JUnit), wire-log excerpts and
 * requirement coverage. docs/reports.md describes the outputs. Named exports only: src/index.ts
 * re-exports this next to other folders, and generic helper names must not collide there.
 */

export {
  buildCaseResult,
  buildRunResult,
  type CaseOutcome,
  faultSummaries,
  type RunInfo,
} from './case-result.js';
export { ConsoleReporter, type ConsoleReporterOptions, type OutputStream, renderCase } from './console.js';
export {
  type CoverageCase,
  type CoverageReport,
  computeCoverage,
  coverageExitCode,
  type RequirementCoverage,
  renderCoverage,
  type SuiteCoverage,
} from './coverage.js';
export {
  type AppliedExemptions,
  applyExpectedFailures,
  type Exemption,
  exemptCase,
  loadExpectedFailures,
  parseExpectedFailures,
  type SelectedExemptions,
  type StaleExemption,
  selectExemptions,
  type UnselectedExemption,
} from './expect-failures.js';
export { countVerdicts, formatElapsed, summaryLine } from './format.js';
export {
  buildLoadReport,
  buildRunReport,
  HtmlReporter,
  type HtmlReporterOptions,
  type LoadModel,
  type ReportModel,
  renderHtml,
  writeHtmlReport,
} from './html/index.js';
export { escapeXml, renderJunit } from './junit.js';
export {
  combineReporters,
  commandReporters,
  createReporters,
  FileReporter,
  REPORTER_NAMES,
  type ReporterOptions,
  renderJson,
  withConsole,
} from './reporters.js';
export {
  bounceLine,
  LOG_TAIL_LINES,
  needsTargetEvidence,
  type TargetEvidenceInput,
  targetEvidence,
} from './target-evidence.js';
export type {
  CaseResult,
  FaultSummary,
  MinimizedCase,
  Reporter,
  RunResult,
  TargetEvidence,
  Verdict,
} from './types.js';
export {
  decideRepeatVerdict,
  decideVerdict,
  effectiveLevel,
  exitCodeOf,
  failsRun,
  isPassing,
  type RepeatDecision,
  type RepeatRun,
  type VerdictDecision,
  type VerdictInput,
} from './verdict.js';
export { renderWireLog } from './wire-log.js';
