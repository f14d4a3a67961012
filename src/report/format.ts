/**
 * Text building blocks shared by the reporters: durations, verdict counts, the summary line.
 * Pure.
 */

import type { CaseResult, Verdict } from './types.js';

/** "12 ms", "1.2 s", "2 m 05 s". */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? s';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)} m ${String(totalSeconds % 60).padStart(2, '0')} s`;
}

/** Summary order, and the word each verdict gets in the summary line. */
export const SUMMARY_WORDS: readonly [Verdict, string][] = [
  ['PASS', 'passed'],
  ['FAIL', 'failed'],
  ['ERROR', 'errored'],
  ['FLAKY', 'flaky'],
  ['WARN', 'warned'],
  ['INFO', 'info'],
  ['INCONCLUSIVE', 'inconclusive'],
  ['UNSUPPORTED', 'unsupported'],
  ['XFAIL', 'xfailed'],
];

export function countVerdicts(cases: readonly Pick<CaseResult, 'verdict'>[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = {
    PASS: 0,
    FAIL: 0,
    WARN: 0,
    INFO: 0,
    UNSUPPORTED: 0,
    INCONCLUSIVE: 0,
    ERROR: 0,
    FLAKY: 0,
    XFAIL: 0,
  };
  for (const c of cases) counts[c.verdict]++;
  return counts;
}

/**
 * "23 passed, 1 failed, 2 unsupported (31.2 s)": passed always, the other verdicts when they
 * occur, stale exemptions last (they fail the run, so they must not hide).
 */
export function summaryLine(
  cases: readonly Pick<CaseResult, 'verdict'>[],
  staleExemptions: number,
  durationMs: number,
): string {
  const counts = countVerdicts(cases);
  const parts: string[] = [];
  for (const [verdict, word] of SUMMARY_WORDS) {
    if (verdict === 'PASS' || counts[verdict] > 0) parts.push(`${counts[verdict]} ${word}`);
  }
  if (staleExemptions > 0)
    parts.push(`${staleExemptions} stale exemption${staleExemptions === 1 ? '' : 's'}`);
  return `${parts.join(', ')} (${formatElapsed(durationMs)})`;
}
