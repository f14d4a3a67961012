/**
 * Assembling results: what the runner has after a case (scenario, findings, history) becomes a
 * CaseResult; the case results and the expected failures become the RunResult. Pure.
 */

import type { Finding, LedgerStats, UnmetPrecondition } from '../checker/types.js';
import type { HistoryEvent } from '../history/events.js';
import type { Scenario } from '../scenarios/types.js';
import { applyExpectedFailures, type Exemption, type StaleExemption } from './expect-failures.js';
import type { CaseResult, FaultSummary, RunResult } from './types.js';
import { decideVerdict, effectiveLevel, exitCodeOf } from './verdict.js';
import { cut, renderWireLog } from './wire-log.js';

export interface CaseOutcome {
  scenario: Pick<Scenario, 'id' | 'title' | 'suite' | 'file' | 'severity' | 'covers'>;
  findings: readonly Finding[];
  stats?: LedgerStats;
  /** The case's history, for the wire-log excerpt. */
  events: readonly HistoryEvent[];
  unsupportedCaps?: readonly string[];
  /** Set when the kit could not run the case. */
  error?: unknown;
  /** Set when the kit ran out of its own time: what was cut short and how far it got (ERROR). */
  kitLimit?: string;
  /** Set when a frame the server sent stopped the case, and a MUST finding names it: where and why. */
  stoppedEarly?: string;
  /** Preconditions that did not hold (INCONCLUSIVE). */
  unmet?: readonly UnmetPrecondition[];
  durationMs: number;
  seed: number;
  replay: string;
  /** Wire-log lines at most. @default 12 */
  wireLogLines?: number;
}

const RANK = { MUST: 0, SHOULD: 1, MAY: 2 } as const;

/**
 * Decides the verdict and excerpts the wire log around the evidence of the findings that decided
 * it (up to three at the strongest level), so the excerpt shows why the case failed, not a side note.
 */
export function buildCaseResult(outcome: CaseOutcome): CaseResult {
  const { scenario } = outcome;
  const decision = decideVerdict({
    severity: scenario.severity,
    findings: outcome.findings,
    ...(outcome.unsupportedCaps ? { unsupportedCaps: outcome.unsupportedCaps } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.kitLimit !== undefined ? { kitLimit: outcome.kitLimit } : {}),
    ...(outcome.stoppedEarly !== undefined ? { stoppedEarly: outcome.stoppedEarly } : {}),
    ...(outcome.unmet ? { unmet: outcome.unmet } : {}),
  });
  const rankOf = (f: Finding) => RANK[effectiveLevel(f, scenario.severity)];
  const top = Math.min(...outcome.findings.map(rankOf));
  const unmet = outcome.unmet ?? [];
  // An INCONCLUSIVE case shows the frames behind its unmet precondition, not a side finding.
  const deciding =
    decision.verdict === 'INCONCLUSIVE'
      ? unmet.slice(0, 3)
      : outcome.findings.filter((f) => rankOf(f) === top).slice(0, 3);
  const result: CaseResult = {
    id: scenario.id,
    title: scenario.title,
    suite: scenario.suite,
    file: scenario.file,
    severity: scenario.severity,
    covers: [...scenario.covers],
    verdict: decision.verdict,
    durationMs: outcome.durationMs,
    seed: outcome.seed,
    findings: [...outcome.findings],
    wireLog: renderWireLog(
      outcome.events,
      deciding.flatMap((f) => f.evidence),
      outcome.wireLogLines ?? 12,
    ),
    replay: outcome.replay,
  };
  if (decision.reason !== undefined) result.reason = decision.reason;
  if (unmet.length > 0) result.preconditions = unmet.map((u) => ({ ...u, evidence: [...u.evidence] }));
  if (outcome.stats) result.stats = outcome.stats;
  const faults = faultSummaries(outcome.events);
  if (faults.length > 0) result.faults = faults;
  return result;
}

/** Longest frame excerpt a fault summary keeps: enough to see type, ids and seq. */
const FAULT_FRAME_WIDTH = 160;

/** Every fault event of a history, as the report shows it (times rounded to 0.1 ms). */
export function faultSummaries(events: readonly HistoryEvent[]): FaultSummary[] {
  const out: FaultSummary[] = [];
  for (const e of events) {
    if (e.kind !== 'fault') continue;
    const summary: FaultSummary = { t: Math.round(e.t * 10) / 10, rule: e.rule, action: e.action };
    if (e.actor !== undefined) summary.actor = e.actor;
    if (e.frame !== undefined) summary.frame = cut(e.frame, FAULT_FRAME_WIDTH);
    out.push(summary);
  }
  return out;
}

export interface RunInfo {
  runId: string;
  startedAt: string;
  durationMs: number;
  target: string;
  driver: string;
  seed: number;
  /** Exemptions whose cases the run did not select (selectExemptions). @default [] */
  notRunExemptions?: string[];
}

/**
 * The RunResult (and the stale exemptions with their file and line): exemptions applied (XFAIL,
 * stale ones listed), exit code computed. Pass only the exemptions of the cases that ran
 * (selectExemptions), and the others in `info.notRunExemptions`.
 */
export function buildRunResult(
  info: RunInfo,
  cases: readonly CaseResult[],
  exemptions: readonly Exemption[] = [],
  strict = false,
): { run: RunResult; stale: StaleExemption[] } {
  const applied = applyExpectedFailures(cases, exemptions);
  const staleExemptions = applied.stale.map((s) => s.id);
  const run: RunResult = {
    ...info,
    cases: applied.cases,
    staleExemptions,
    notRunExemptions: info.notRunExemptions ?? [],
    exitCode: exitCodeOf(applied.cases, staleExemptions, strict),
  };
  if (strict) run.strict = true;
  return { run, stale: applied.stale };
}
