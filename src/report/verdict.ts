/**
 * Verdicts (docs/reports.md, "Verdicts"): pure functions from what the checker found to a case verdict,
 * and from the verdicts of a run to the process exit code.
 */

import type { Finding, UnmetPrecondition } from '../checker/types.js';
import type { Level } from '../protocol/requirements.js';
import type { CaseResult, Verdict } from './types.js';

export interface VerdictInput {
  /** The level the case enforces (Scenario.severity). */
  severity: Level;
  findings: readonly Finding[];
  /** Capabilities the case requires that the target does not claim. */
  unsupportedCaps?: readonly string[];
  /** Set when the kit could not run the case (the target was unreachable, a driver failed…). */
  error?: unknown;
  /**
   * Set when the case did not do all it says because the kit ran out of its own time (the case
   * deadline, a `waitFor` timeout): what was cut short and how far it got. ERROR, never a
   * server's requirement, unless a MUST finding stands anyway.
   */
  kitLimit?: string;
  /**
   * Set when a frame the server sent stopped the case (a proven MUST finding names it): where and
   * why. The verdict's reason says so — what came after that step was never exercised — and the
   * case is never PASS: without the MUST finding it is ERROR.
   */
  stoppedEarly?: string;
  /** Preconditions of the case that did not hold: the rule was not exercised (INCONCLUSIVE). */
  unmet?: readonly UnmetPrecondition[];
}

export interface VerdictDecision {
  verdict: Verdict;
  reason?: string;
}

const RANK: Record<Level, number> = { MUST: 0, SHOULD: 1, MAY: 2 };
const VERDICT_OF_LEVEL: Record<Level, Verdict> = { MUST: 'FAIL', SHOULD: 'WARN', MAY: 'INFO' };

/**
 * The level a finding counts at in a case of `severity`. A MUST finding always counts as MUST: a
 * MUST broken fails wherever it is observed, even in a SHOULD or MAY case. Any other finding
 * counts at the weaker of its own level and the case's: a SHOULD finding in a MUST case cannot
 * fail it (RFC 2119: a SHOULD is not a MUST), and a MAY case only informs.
 */
export function effectiveLevel(finding: Pick<Finding, 'level'>, severity: Level): Level {
  if (finding.level === 'MUST') return 'MUST';
  return RANK[finding.level] >= RANK[severity] ? finding.level : severity;
}

/**
 * In order: UNSUPPORTED when required caps are missing (a case for a feature the server does not
 * claim is never FAILED, see docs/protocol.md "Capabilities"); ERROR when the kit could not run
 * the case; FAIL on any MUST finding, even in a case cut short or whose precondition failed (the
 * frames prove it all the same); ERROR when the kit ran out of its own time (`kitLimit`) or a case
 * said to have stopped early at a server's frame has no MUST finding after all;
 * INCONCLUSIVE when a precondition did not hold; otherwise the strongest finding decides: WARN for
 * SHOULD, INFO for MAY, PASS when there is none.
 */
export function decideVerdict(input: VerdictInput): VerdictDecision {
  const missing = input.unsupportedCaps ?? [];
  if (missing.length > 0) {
    return { verdict: 'UNSUPPORTED', reason: `target does not claim ${missing.join(', ')}` };
  }
  if (input.error !== undefined && input.error !== null) {
    return { verdict: 'ERROR', reason: errorText(input.error) };
  }
  let strongest: Finding | undefined;
  let strongestLevel: Level = 'MAY';
  for (const finding of input.findings) {
    const level = effectiveLevel(finding, input.severity);
    if (strongest === undefined || RANK[level] < RANK[strongestLevel]) {
      strongest = finding;
      strongestLevel = level;
    }
  }
  const more = input.findings.length - 1;
  const findingReason = strongest
    ? `${strongest.requirement}: expected ${strongest.expected}, actual ${strongest.actual}` +
      (more > 0 ? ` (+${more} more finding${more === 1 ? '' : 's'})` : '')
    : '';
  const unmet = input.unmet ?? [];
  if (strongest && strongestLevel === 'MUST') {
    const cut = input.kitLimit
      ? `${CUT_SHORT}${input.kitLimit}`
      : input.stoppedEarly
        ? `${STOPPED_EARLY}${input.stoppedEarly}`
        : '';
    return { verdict: 'FAIL', reason: findingReason + cut };
  }
  const also = strongest ? ` (also ${findingReason})` : '';
  if (input.kitLimit) return { verdict: 'ERROR', reason: `kit limit: ${input.kitLimit}${also}` };
  if (input.stoppedEarly)
    return { verdict: 'ERROR', reason: `stopped early, in ${input.stoppedEarly}${also}` };
  if (unmet.length > 0) {
    const first = unmet[0]!;
    const others = unmet.length > 1 ? ` (+${unmet.length - 1} more)` : '';
    return {
      verdict: 'INCONCLUSIVE',
      reason: `precondition ${first.precondition} did not hold: expected ${first.expected}, actual ${first.actual}${others}${also}`,
    };
  }
  if (!strongest) return { verdict: 'PASS' };
  return { verdict: VERDICT_OF_LEVEL[strongestLevel], reason: findingReason };
}

const CUT_SHORT = '; the case was cut short: ';
const STOPPED_EARLY = '; the case stopped early, in ';

/**
 * What a FAIL's reason says beyond its finding — the case was cut short (and how far it got) or
 * stopped early — for a reader that shows the findings apart (the console); undefined if nothing.
 */
export function failNote(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  for (const mark of [CUT_SHORT, STOPPED_EARLY]) {
    const at = reason.lastIndexOf(mark);
    if (at >= 0) return reason.slice(at + 2);
  }
  return undefined;
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
 * Combines the runs of one case under `--repeat N`. INCONCLUSIVE runs judged nothing, so they are
 * left out whenever another run judged the case. Mixed outcomes among the rest (some passing,
 * some not) are FLAKY; the failing seeds are kept so each can be replayed. When no run passes, the
 * worst verdict stands; when every run passes, the strongest passing verdict (INFO over PASS).
 */
export function decideRepeatVerdict(runs: readonly RepeatRun[]): RepeatDecision {
  const conclusive = runs.filter((r) => r.verdict !== 'INCONCLUSIVE');
  const judged = conclusive.length > 0 ? conclusive : runs;
  const failing = conclusive.filter((r) => !isPassing(r.verdict));
  const passRate = {
    passed: conclusive.length - failing.length,
    runs: runs.length,
    failingSeeds: failing.map((r) => r.seed),
  };
  if (runs.length === 0) return { verdict: 'ERROR', reason: 'no runs', passRate };
  const skipped = runs.length - conclusive.length;
  const note =
    conclusive.length > 0 && skipped > 0
      ? ` (${skipped} inconclusive run${skipped === 1 ? '' : 's'} not counted)`
      : '';
  if (failing.length > 0 && failing.length < conclusive.length) {
    const first = failing[0]!;
    return {
      verdict: 'FLAKY',
      reason: `${passRate.passed}/${conclusive.length} runs passed${note}; first ${first.verdict} with seed ${first.seed}${first.reason ? `: ${first.reason}` : ''}`,
      passRate,
    };
  }
  const pool = failing.length > 0 ? failing : judged;
  let worst = pool[0]!;
  for (const run of pool)
    if (SEVERITY_ORDER.indexOf(run.verdict) < SEVERITY_ORDER.indexOf(worst.verdict)) worst = run;
  const reason = worst.reason === undefined ? (note ? note.trim() : undefined) : worst.reason + note;
  return reason === undefined
    ? { verdict: worst.verdict, passRate }
    : { verdict: worst.verdict, reason, passRate };
}

/** Worst first: the order in which verdicts dominate when runs are combined. */
const SEVERITY_ORDER: readonly Verdict[] = [
  'ERROR',
  'FAIL',
  'FLAKY',
  'WARN',
  'INCONCLUSIVE',
  'UNSUPPORTED',
  'XFAIL',
  'INFO',
  'PASS',
];

/**
 * Does this case, on its own, make the run fail? FAIL always (it only arises from a MUST); ERROR
 * always, because a case the kit could not run certifies nothing and CI must not read silence as
 * success; FLAKY when the case is a MUST case or one of its runs broke a MUST (an intermittent
 * MUST violation is still a violation); INCONCLUSIVE only with `strict` (a CI that wants every
 * case to have judged its rule).
 */
export function failsRun(
  result: Pick<CaseResult, 'verdict' | 'severity'> & { findings?: readonly Pick<Finding, 'level'>[] },
  strict = false,
): boolean {
  switch (result.verdict) {
    case 'FAIL':
    case 'ERROR':
      return true;
    case 'FLAKY':
      return result.severity === 'MUST' || (result.findings ?? []).some((f) => f.level === 'MUST');
    case 'INCONCLUSIVE':
      return strict;
    default:
      return false;
  }
}

/**
 * 0 when every required case held (WARN, INFO, UNSUPPORTED and XFAIL allowed, INCONCLUSIVE too
 * unless `strict`); 1 on any case that fails the run (see failsRun) or any stale exemption — a
 * fixed deviation must be removed from the expected-failures file. Exit code 2 (usage or
 * configuration) is raised as an error, never computed here.
 */
export function exitCodeOf(
  results: readonly (Pick<CaseResult, 'verdict' | 'severity'> & {
    findings?: readonly Pick<Finding, 'level'>[];
  })[],
  staleExemptions: readonly string[],
  strict = false,
): 0 | 1 {
  if (staleExemptions.length > 0) return 1;
  return results.some((r) => failsRun(r, strict)) ? 1 : 0;
}
