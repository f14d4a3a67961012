/**
 * Verdicts (docs/reports.md, "Verdicts"): pure functions from what the checker found to a case verdict,
 * and from the verdicts of a run to the process exit code.
 */

import type { Finding } from '../checker/types.js';
import type { Level } from '../protocol/requirements.js';
import type { CaseResult, Verdict } from './types.js';

export interface VerdictInput {
  /** The level the case enforces (Scenario.severity). */
  severity: Level;
  findings: readonly Finding[];
  /** Capabilities the case requires that the target does not claim. */
  unsupportedCaps?: readonly string[];
  /** Set when the kit could not run the case (a step timed out, the target was unreachable…). */
  error?: unknown;
}

export interface VerdictDecision {
  verdict: Verdict;
  reason?: string;
}

const RANK: Record<Level, number> = { MUST: 0, SHOULD: 1, MAY: 2 };
const VERDICT_OF_LEVEL: Record<Level, Verdict> = { MUST: 'FAIL', SHOULD: 'WARN', MAY: 'INFO' };

/**
 * A finding counts at the weaker of its own level and the case's severity: a MUST finding in a
 * SHOULD case only warns (the case author chose to enforce SHOULD), and a SHOULD finding inside a
 * MUST case cannot fail it (RFC 2119: a SHOULD is not a MUST).
 */
export function effectiveLevel(finding: Pick<Finding, 'level'>, severity: Level): Level {
  return RANK[finding.level] >= RANK[severity] ? finding.level : severity;
}

/**
 * UNSUPPORTED when required caps are missing (a case for a feature the server does not claim is
 * never FAILED, see docs/protocol.md "Capabilities"); ERROR when the kit could not run the case;
 * otherwise the strongest finding decides: FAIL for MUST, WARN for SHOULD, INFO for MAY, PASS
 * when there is none.
 */
export function decideVerdict(input: VerdictInput): VerdictDecision {
  const missing = input.unsupportedCaps ?? [];
  if (missing.length > 0) {
    return { verdict: 'UNSUPPORTED', reason: `target does not claim ${missing.join(', ')}` };
  }
  if (input.error !== undefined && input.error !== null) {
    return { verdict: 'ERROR', reason: errorText(input.error) };
  }
  if (input.findings.length === 0) return { verdict: 'PASS' };

  let strongest: Finding | undefined;
  let strongestLevel: Level = 'MAY';
  for (const finding of input.findings) {
    const level = effectiveLevel(finding, input.severity);
    if (strongest === undefined || RANK[level] < RANK[strongestLevel]) {
      strongest = finding;
      strongestLevel = level;
    }
  }
  const first = strongest!;
  const more = input.findings.length - 1;
  const reason =
    `${first.requirement}: expected ${first.expected}, actual ${first.actual}` +
    (more > 0 ? ` (+${more} more finding${more === 1 ? '' : 's'})` : '');
  return { verdict: VERDICT_OF_LEVEL[strongestLevel], reason };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} [${code}]` : error.message;
  }
  return String(error);
}

/** A verdict that counts as the case holding at its level: what `--repeat` counts as a pass. */
export function isPassing(verdict: Verdict): boolean {
  return verdict === 'PASS' || verdict === 'INFO';
}

export interface RepeatRun {
  verdict: Verdict;
  reason?: string;
  seed: number;
}

export interface RepeatDecision extends VerdictDecision {
  passRate: { passed: number; runs: number; failingSeeds: number[] };
}

/**
 * Combines the runs of one case under `--repeat N`. Mixed outcomes (some runs passing, some not)
 * are FLAKY; the failing seeds are kept so each can be replayed. When no run passes, the worst
 * verdict stands; when every run passes, the strongest passing verdict (INFO over PASS).
 */
export function decideRepeatVerdict(runs: readonly RepeatRun[]): RepeatDecision {
  const failing = runs.filter((r) => !isPassing(r.verdict));
  const passRate = {
    passed: runs.length - failing.length,
    runs: runs.length,
    failingSeeds: failing.map((r) => r.seed),
  };
  if (runs.length === 0) return { verdict: 'ERROR', reason: 'no runs', passRate };
  if (failing.length > 0 && failing.length < runs.length) {
    const first = failing[0]!;
    return {
      verdict: 'FLAKY',
      reason: `${passRate.passed}/${runs.length} runs passed; first ${first.verdict} with seed ${first.seed}${first.reason ? `: ${first.reason}` : ''}`,
      passRate,
    };
  }
  const pool = failing.length > 0 ? failing : runs;
  let worst = pool[0]!;
  for (const run of pool)
    if (SEVERITY_ORDER.indexOf(run.verdict) < SEVERITY_ORDER.indexOf(worst.verdict)) worst = run;
  return worst.reason === undefined
    ? { verdict: worst.verdict, passRate }
    : { verdict: worst.verdict, reason: worst.reason, passRate };
}

/** Worst first: the order in which verdicts dominate when runs are combined. */
const SEVERITY_ORDER: readonly Verdict[] = [
  'ERROR',
  'FAIL',
  'FLAKY',
  'WARN',
  'UNSUPPORTED',
  'XFAIL',
  'INFO',
  'PASS',
];

/**
 * Does this case, on its own, make the run fail? FAIL always (it only arises from a MUST); ERROR
 * always, because a case the kit could not run certifies nothing and CI must not read silence as
 * success; FLAKY only for a MUST case (an intermittent MUST violation is still a violation).
 */
export function failsRun(result: Pick<CaseResult, 'verdict' | 'severity'>): boolean {
  switch (result.verdict) {
    case 'FAIL':
    case 'ERROR':
      return true;
    case 'FLAKY':
      return result.severity === 'MUST';
    default:
      return false;
  }
}

/**
 * 0 when every required case held (WARN, INFO, UNSUPPORTED and XFAIL allowed); 1 on any case that
 * fails the run (see failsRun) or any stale exemption — a fixed deviation must be removed from the
 * expected-failures file. Exit code 2 (usage or configuration) is raised as an error, never
 * computed here.
 */
export function exitCodeOf(
  results: readonly Pick<CaseResult, 'verdict' | 'severity'>[],
  staleExemptions: readonly string[],
): 0 | 1 {
  if (staleExemptions.length > 0) return 1;
  return results.some(failsRun) ? 1 : 0;
}
