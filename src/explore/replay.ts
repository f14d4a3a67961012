/**
 * How explore names a failing case to its reader: whether a run counts as a finding, the finding
 * in one line, and the `imspec run` command that replays a written file.
 */

import type { CaseResult } from '../report/index.js';
import { shellWord } from '../runner/case-replay.js';
import type { ExploreConfig } from './config.js';
import type { ExploreInput } from './types.js';

/** The title of every case explore runs and writes. */
export const FOUND_TITLE = 'A generated workload that breaks a rule (found and shrunk by imspec explore)';

export function isFinding(result: CaseResult, config: Readonly<ExploreConfig>): boolean {
  return (config.findOn as string[]).includes(result.verdict);
}

/** The first finding at the verdict's level, in one line. */
export function summarize(result: CaseResult): string {
  const f = result.findings.find((x) =>
    result.verdict === 'WARN' ? x.level === 'SHOULD' : x.level === 'MUST',
  );
  const first = f ?? result.findings[0];
  if (!first) return `${result.verdict}: ${result.reason ?? 'no finding recorded'}`;
  return `${result.verdict} ${first.requirement}: expected ${first.expected}; actual ${first.actual}`;
}

/** The `imspec run` command that replays the written file: same seed, same target and faults. */
export function replayCommand(file: string, input: ExploreInput): string {
  const parts = ['imspec run', file, '--seed', String(input.seed)];
  const driver = input.loadedDriver?.spec ?? input.driver ?? 'ran';
  if (driver !== 'ran') parts.push('--driver', driver);
  if (input.target) parts.push('--target', input.target);
  if (input.targetCmd) parts.push('--target-cmd', input.targetCmd);
  for (const f of input.serverFaults ?? []) parts.push('--server-fault', f);
  return parts.map(shellWord).join(' ');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
