/**
 * The power of `imspec explore`: for each deliberate defect of the reference server, does a run
 * with no case file find it, how soon, for which requirement, and how small is the scenario it
 * writes? Pure: explore results in, rows and a markdown table out (scripts/explore-power.ts runs
 * explore; test/explore/explore-power.test.ts asserts on the rows).
 */

import type { ExploreResult } from './types.js';

/** One fault explored with one seed. */
export interface PowerRow {
  fault: string;
  seed: number;
  found: boolean;
  /** Cases run (the failing one included). */
  cases: number;
  /** Cases per verdict. */
  verdicts: Record<string, number>;
  /** From the start of exploring to the end of the failing case's run, ms. */
  foundAfterMs?: number;
  caseIndex?: number;
  verdict?: string;
  requirements?: string[];
  summary?: string;
  file?: string;
  operations?: number;
  steps?: number;
  messages?: number;
  generatedOperations?: number;
  shrinkRuns?: number;
  shrinkExhausted?: boolean;
  reproduced?: number;
  confirmRuns?: number;
  /** The file is the case as found (the shrunk one failed none of its replays). */
  asFound?: boolean;
  elapsedMs: number;
}

export function powerRow(fault: string, result: ExploreResult): PowerRow {
  const row: PowerRow = {
    fault,
    seed: result.seed,
    found: result.finding !== undefined,
    cases: result.cases,
    verdicts: result.verdicts,
    elapsedMs: Math.round(result.elapsedMs),
  };
  const f = result.finding;
  if (f === undefined) return row;
  return {
    ...row,
    foundAfterMs: Math.round(f.foundAfterMs),
    caseIndex: f.caseIndex,
    verdict: f.verdict,
    requirements: f.requirements,
    summary: f.summary,
    file: f.file,
    operations: f.operations,
    steps: f.steps,
    messages: f.messages,
    generatedOperations: f.generatedOperations,
    shrinkRuns: f.shrinkRuns,
    shrinkExhausted: f.shrinkExhausted,
    reproduced: f.reproduced,
    confirmRuns: f.confirmRuns,
    ...(f.asFound !== undefined ? { asFound: true } : {}),
  };
}

/**
 * `--seeds-from FILE`: `{ fault: seed }` or `{ fault: { seed, … } }` (test/explore/power.json,
 * which also names the expected requirements). Anything else is an Error naming the fault.
 */
export function parseSeeds(json: unknown): Record<string, number> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('a seeds file is a JSON object: { "fault": seed } or { "fault": { "seed": n } }');
  const out: Record<string, number> = {};
  for (const [fault, value] of Object.entries(json)) {
    const seed = typeof value === 'object' && value !== null ? (value as { seed?: unknown }).seed : value;
    if (!Number.isInteger(seed) || (seed as number) < 0)
      throw new Error(`${fault}: the seed must be an integer ≥ 0, got ${JSON.stringify(value)}`);
    out[fault] = seed as number;
  }
  return out;
}

/** The table docs/explore.md shows: one row per fault (its first finding seed, or every seed tried). */
export function powerTable(rows: readonly PowerRow[]): string {
  const head = [
    '| fault | seed | found after | requirement | minimal scenario | shrink | replays |',
    '| --- | ---: | --- | --- | --- | --- | --- |',
  ];
  const body = rows.map((r) => {
    if (!r.found)
      return `| \`${r.fault}\` | ${r.seed} | not in ${seconds(r.elapsedMs)} (${r.cases} cases${kitTrouble(r)}) | | | | |`;
    const scenario = `${r.operations} ops, ${r.steps} steps, ${r.messages} msgs`;
    const shrink = r.asFound
      ? `${r.shrinkRuns} runs, not kept: the shrunk case failed no replay`
      : `${r.shrinkRuns} runs${r.shrinkExhausted ? ', budget spent' : ''}`;
    return `| \`${r.fault}\` | ${r.seed} | ${seconds(r.foundAfterMs!)} (case ${r.caseIndex}) | ${r.requirements!.join(', ')}${r.verdict === 'FAIL' ? '' : ` (${r.verdict})`} | ${scenario} | ${shrink} | ${r.reproduced}/${r.confirmRuns} |`;
  });
  const found = rows.filter((r) => r.found).length;
  const faults = new Set(rows.map((r) => r.fault));
  const foundFaults = new Set(rows.filter((r) => r.found).map((r) => r.fault));
  return `${[...head, ...body].join('\n')}\n\n${foundFaults.size} of ${faults.size} faults found (${found} of ${rows.length} runs).\n`;
}

/** ERROR and INCONCLUSIVE cases of a run: the kit's trouble, shown apart. */
function kitTrouble(r: PowerRow): string {
  const n = (r.verdicts['ERROR'] ?? 0) + (r.verdicts['INCONCLUSIVE'] ?? 0);
  return n > 0 ? `, ${n} ERROR/INCONCLUSIVE` : '';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
