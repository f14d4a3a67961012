/**
 * Results of a run, as every reporter receives them. schemas/report.schema.json is the JSON form.
 */

import type { CheckResult, Finding, LedgerStats } from '../checker/types.js';
import type { Level } from '../protocol/requirements.js';

export type Verdict = 'PASS' | 'FAIL' | 'WARN' | 'INFO' | 'UNSUPPORTED' | 'ERROR' | 'FLAKY' | 'XFAIL';

export interface CaseResult {
  id: string;
  title: string;
  suite: string;
  file: string;
  severity: Level;
  covers: string[];
  verdict: Verdict;
  /** Why: for UNSUPPORTED the missing caps, for ERROR what broke, for XFAIL the exemption. */
  reason?: string;
  durationMs: number;
  seed: number;
  findings: Finding[];
  stats?: LedgerStats;
  /** Short wire-log excerpt (rendered lines) around the first findings' evidence. */
  wireLog: string[];
  /** For --repeat: passes out of runs. */
  passRate?: { passed: number; runs: number; failingSeeds: number[] };
  /** The exact command that replays this case. */
  replay: string;
}

export interface RunResult {
  runId: string;
  startedAt: string;
  durationMs: number;
  target: string;
  driver: string;
  seed: number;
  cases: CaseResult[];
  /** Exemptions from --expect-failures that no longer fail. */
  staleExemptions: string[];
  exitCode: 0 | 1 | 2;
}

export interface Reporter {
  onRunStart?(info: { runId: string; target: string; driver: string; total: number }): void;
  onCaseStart?(info: { id: string; index: number; total: number }): void;
  onCaseResult?(result: CaseResult): void;
  onRunEnd?(result: RunResult): void | Promise<void>;
}

export type { CheckResult };
