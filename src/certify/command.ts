/**
 * The exact `imspec certify` command of a certification, from its resolved options: every option
 * that shaped the run or the document, shell-quoted so it pastes as is. Never the secret: the
 * document tells the reader to set IMSPEC_HMAC_SECRET. Pure.
 */

import { shellWord } from '../runner/case-replay.js';
import { formatDuration } from '../scenarios/duration.js';
import { CERTIFY_DEFAULTS, CERTIFY_SUITES, type CertifyOptions } from './options.js';

/** The command as lines of a few options each, to join with a backslash and a newline. */
export function certifyCommand(options: Readonly<CertifyOptions>): string[] {
  const words: string[][] = [['--name', options.name]];
  words.push(['--driver', options.driver, '--target', options.target]);
  words.push(['--target-cmd', options.targetCmd]);
  if (options.startTimeoutMs !== CERTIFY_DEFAULTS.startTimeoutMs) {
    words.push(['--start-timeout', formatDuration(options.startTimeoutMs)]);
  }
  if (options.provisionCmd) words.push(['--provision-cmd', options.provisionCmd]);
  if (options.versionCmd) words.push(['--version-cmd', options.versionCmd]);
  for (const file of options.configFiles) words.push(['--config', file]);
  if (options.logFile) {
    const counts = Object.entries(options.logCounts).flatMap(([label, re]) => [
      '--log-count',
      `${label}=${re}`,
    ]);
    words.push(['--log', options.logFile], ...chunk(counts, 2));
  }
  if (!sameList(options.suites, CERTIFY_SUITES)) words.push(['--suites', options.suites.join(',')]);
  if (options.only.length) words.push(['--only', options.only.join(',')]);
  if (options.timeoutMs !== undefined) words.push(['--timeout', formatDuration(options.timeoutMs)]);
  if (options.expectFailures) words.push(['--expect-failures', options.expectFailures]);
  if (options.readings) words.push(['--readings', options.readings]);
  if (options.draftExpectations) words.push(['--draft-expectations', options.draftExpectations]);
  words.push(['--seed', String(options.seed), '--out', options.outDir]);
  const lines = words.map((line) => line.map(shellWord).join(' '));
  lines[0] = `imspec certify ${lines[0]}`;
  return lines;
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
