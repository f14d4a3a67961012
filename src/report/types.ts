/**
 * Results of a run, as every reporter receives them. schemas/report.schema.json is the JSON form.
 */

import type { CheckResult, Finding, LedgerStats, UnmetPrecondition } from '../checker/types.js';
import type { HistoryEvent } from '../history/events.js';
import type { Level } from '../protocol/requirements.js';

export type Verdict =
  | 'PASS'
  | 'FAIL'
  | 'WARN'
  | 'INFO'
  | 'UNSUPPORTED'
  | 'INCONCLUSIVE'
  | 'ERROR'
  | 'FLAKY'
  | 'XFAIL';

export interface CaseResult {
  id: string;
  title: string;
  suite: string;
  file: string;
  severity: Level;
  covers: string[];
  verdict: Verdict;
  /**
   * Why: for UNSUPPORTED the missing caps, for ERROR what broke (or the kit limit reached), for
   * INCONCLUSIVE the precondition that did not hold, for XFAIL the exemption.
   */
  reason?: string;
  durationMs: number;
  seed: number;
  findings: Finding[];
  /** Preconditions that did not hold (absent when every one held): why a case is INCONCLUSIVE. */
  preconditions?: UnmetPrecondition[];
  stats?: LedgerStats;
  /** Short wire-log excerpt (rendered lines) around the first findings' evidence. */
  wireLog: string[];
  /** For --repeat: passes out of runs. */
  passRate?: { passed: number; runs: number; failingSeeds: number[] };
  /** The exact command that replays this case. */
  replay: string;
  /** For --repeat: the exact command that replays each failing run (one per failing seed). */
  replays?: string[];
  /** Every fault the proxies injected, in time order (absent when none was). */
  faults?: FaultSummary[];
  /** A failing case whose rules use `probability`, cut down to the fewest faults that still fail it. */
  minimized?: MinimizedCase;
  /**
   * What the target process did during a case that did not pass (FAIL, WARN, ERROR and the
   * verdicts made from them): how often it exited and restarted, and the end of its log when the
   * kit launched it. Absent on passing cases and for a target the kit does not control.
   */
  target?: TargetEvidence;
}

/** The target process's part in a case (src/report/target-evidence.ts). */
export interface TargetEvidence {
  /** Exits the kit caused (kill -9, SIGTERM) as the case asked. */
  kills: number;
  /** Exits the kit did not ask for: the server crashed or quit on its own. */
  crashes: number;
  /** Starts on the same data during the case, after a kill or a crash. */
  restarts: number;
  /** The kit started it again before the case, because it was down after the previous one. */
  restartedBeforeCase: boolean;
  /** The last lines the target wrote during the case (absent when it wrote nothing). */
  logTail?: string[];
}

/** One injected fault, as reports show it. */
export interface FaultSummary {
  /** Milliseconds since the case began (the history's clock). */
  t: number;
  /** The rule's id (a replayed event: `<rule>.<event id>`). */
  rule: string;
  /** drop, duplicate, delay, reorder, corrupt, cut, stall; latency, bandwidth, reset, blackhole, slice. */
  action: string;
  /** The connection's actor (frame faults, once hello:R named it). */
  actor?: string;
  /** The frame's text (or a preview of the bytes), cut to a readable excerpt. */
  frame?: string;
}

/** Where a minimisation ended (src/runner/faults-setup.ts). */
export interface MinimizedCase {
  /** A runnable scenario: the case with only the minimal `faults:`. */
  file: string;
  /** Fault events in it, out of `of` primary events of the failing run. */
  events: number;
  of: number;
  /** Case runs spent replaying subsets. */
  runs: number;
  /** The budget ran out before the set was proved 1-minimal. */
  exhausted: boolean;
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
  /** `--strict`: INCONCLUSIVE cases fail the run. @default false */
  strict?: boolean;
  /**
   * Exemptions from --expect-failures whose cases this run did not select (another suite, or
   * filtered by --only): neither applied nor stale.
   */
  notRunExemptions: string[];
  exitCode: 0 | 1 | 2;
  /**
   * The run was stopped by a signal (Ctrl-C, SIGTERM): `cases` holds the cases that finished;
   * the CLI exits 128 + the signal's number (130, 143) whatever `exitCode` says.
   */
  interrupted?: { signal: string; completed: number; total: number };
}

export interface Reporter {
  onRunStart?(info: { runId: string; target: string; driver: string; total: number }): void;
  onCaseStart?(info: { id: string; index: number; total: number }): void;
  /**
   * Each run of a case with its whole history, as the run ends (every `--repeat` run, never the
   * replays of a minimisation), before onCaseResult. The history is dropped after the call: a
   * reporter that draws it (html) keeps a bounded copy. Findings' evidence indexes into `events`.
   */
  onCaseHistory?(run: { result: CaseResult; events: readonly HistoryEvent[] }): void;
  onCaseResult?(result: CaseResult): void;
  onRunEnd?(result: RunResult): void | Promise<void>;
}

export type { CheckResult };
