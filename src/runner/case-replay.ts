/**
 * Which cases a run selects and how one of them is replayed on its own: `--only` matching, the
 * per-case seed derived from the run seed, and the shell command that reruns one case with
 * every option that can change its verdict. Pure.
 */

import { formatDuration } from '../scenarios/duration.js';
import type { Scenario } from '../scenarios/types.js';
import { RUN_DEFAULTS, type RunOptions } from './options.js';

/** `--only` accepts exact ids and globs with `*`. */
export function matchesOnly(id: string, only: readonly string[]): boolean {
  if (only.length === 0) return true;
  return only.some((pattern) =>
    pattern.includes('*')
      ? new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(id)
      : pattern === id,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A per-case seed derived from the run seed, so `--only X --seed S` replays case X exactly. */
export function caseSeed(runSeed: number, caseId: string, repetition: number): number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${caseId}#${repetition}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * The command that replays one case with every option that can change its verdict: seeds,
 * target and how it is started and provisioned, the embedded server's faults and arguments, the
 * deadline, and the expected failures (without them an XFAIL replays as FAIL). Never the secret:
 * it comes from the environment.
 */
export function replayCommand(scenario: Scenario, options: Readonly<RunOptions>, seed: number): string {
  const parts = ['imspec run', scenario.file, '--only', scenario.id, '--seed', String(options.seed)];
  parts.push('--case-seed', String(seed));
  if (options.driver !== 'ran') parts.push('--driver', options.driver);
  if (options.target) parts.push('--target', options.target);
  if (options.targetCmd) parts.push('--target-cmd', options.targetCmd);
  if (options.targetCmd && options.startTimeoutMs !== RUN_DEFAULTS.startTimeoutMs) {
    parts.push('--start-timeout', formatDuration(options.startTimeoutMs));
  }
  if (options.provisionCmd) parts.push('--provision-cmd', options.provisionCmd);
  for (const f of options.serverFaults) parts.push('--server-fault', f);
  for (const a of options.serverArgs) parts.push(`--server-arg=${a}`);
  if (options.timeoutMs !== undefined) parts.push('--timeout', formatDuration(options.timeoutMs));
  if (options.expectFailures) parts.push('--expect-failures', options.expectFailures);
  return parts.map(shellWord).join(' ');
}

/**
 * Quotes a word for a POSIX shell when it needs it, so a replay command pastes as is: an XMPP
 * target URL holds `&`, a --target-cmd holds spaces.
 */
export function shellWord(word: string): string {
  if (word === 'imspec run' || /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
