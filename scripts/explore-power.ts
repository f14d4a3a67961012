/**
 * How strong is `imspec explore` (`npm run explore:power`)? For each deliberate defect of the
 * reference server (`--server-fault`), explore with no case file, a given budget and seed, and
 * record whether it found the defect, after how long, in which case, for which requirement, and
 * how small the written scenario is. Not part of `npm test` (test/explore/explore-power.test.ts
 * is the bounded form).
 *
 *   node dist/scripts/explore-power.js [--faults a,b|all] [--budget 30s] [--seeds 1,2,3 | --seeds-from FILE]
 *                                      [--config explore.yaml] [--out DIR] [--json FILE] [--markdown]
 *                                      [--concurrency N] [--all-seeds]
 *
 * `--seeds` are tried in order until one finds the fault (every one with `--all-seeds`);
 * `--seeds-from` gives one seed per fault (`{ fault: seed }` or test/explore/power.json). The
 * fault `none` is the healthy server: any finding there is a false alarm. `--concurrency` runs
 * that many faults at once (each explore starts its own servers; figures then include the
 * contention). Prints one line per run, then the table (markdown with `--markdown`).
 * Exit code: 0 when every fault was found (and `none` had no finding), 1 otherwise, 2 on a bad option.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadExploreConfig } from '../src/explore/config.js';
import { explore } from '../src/explore/explore.js';
import { type PowerRow, parseSeeds, powerRow, powerTable } from '../src/explore/power.js';
import { parseDuration } from '../src/scenarios/duration.js';
import { isServerFaultName, SERVER_FAULT_NAMES } from '../src/server/faults.js';

function usage(message: string): never {
  process.stderr.write(`explore-power: ${message}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      faults: { type: 'string', default: 'all' },
      budget: { type: 'string', default: '30s' },
      seeds: { type: 'string', default: '1' },
      'seeds-from': { type: 'string' },
      'all-seeds': { type: 'boolean', default: false },
      config: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '1' },
    },
  }));
} catch (err) {
  usage((err as Error).message);
}

const faults =
  values['faults'] === 'all' ? [...SERVER_FAULT_NAMES] : String(values['faults']).split(',').filter(Boolean);
for (const f of faults)
  if (f !== 'none' && !isServerFaultName(f)) usage(`unknown fault ${f} (see imspec serve --help)`);
let budgetMs: number;
try {
  budgetMs = parseDuration(String(values['budget']));
} catch (err) {
  usage(`--budget: ${(err as Error).message}`);
}
const seeds = String(values['seeds']).split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) usage(`--seeds: integers ≥ 0, got ${values['seeds']}`);
let perFault: Record<string, number> | undefined;
if (values['seeds-from']) {
  try {
    perFault = parseSeeds(JSON.parse(readFileSync(String(values['seeds-from']), 'utf8')));
  } catch (err) {
    usage(`--seeds-from: ${(err as Error).message}`);
  }
}
const concurrency = Number(values['concurrency']);
if (!Number.isInteger(concurrency) || concurrency < 1) usage('--concurrency: an integer ≥ 1');
let config: ReturnType<typeof loadExploreConfig>;
try {
  config = loadExploreConfig(values['config'] as string | undefined);
} catch (err) {
  usage((err as Error).message);
}
const outRoot = String(values['out'] ?? join(tmpdir(), `imspec-explore-power-${process.pid}`));

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
process.stderr.write(
  `explore-power: ${faults.length} faults, ${budgetMs / 1000} s each, seeds ${perFault ? `from ${values['seeds-from']}` : seeds.join(',')}, concurrency ${concurrency}; load average ${load}\n`,
);

async function powerOf(fault: string): Promise<PowerRow[]> {
  const rows: PowerRow[] = [];
  const tried = perFault ? (perFault[fault] !== undefined ? [perFault[fault]!] : seeds) : seeds;
  for (const seed of tried) {
    const result = await explore({
      budgetMs,
      seed,
      config,
      outDir: join(outRoot, fault, `seed-${seed}`),
      ...(fault === 'none' ? {} : { serverFaults: [fault] }),
    });
    const row = powerRow(fault, result);
    rows.push(row);
    process.stderr.write(
      `${fault} seed ${seed}: ${row.found ? `FOUND ${row.requirements!.join(',')} after ${(row.foundAfterMs! / 1000).toFixed(1)} s (case ${row.caseIndex}): ${row.summary}` : `not found in ${row.cases} cases (${JSON.stringify(row.verdicts)})`}\n`,
    );
    if (row.found && !values['all-seeds']) break;
  }
  return rows;
}

const started = performance.now();
const results = new Map<string, PowerRow[]>();
const queue = [...faults];
await Promise.all(
  Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let fault = queue.shift(); fault !== undefined; fault = queue.shift())
      results.set(fault, await powerOf(fault));
  }),
);
const rows = faults.flatMap((f) => results.get(f) ?? []);
const endLoad = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
const wall = ((performance.now() - started) / 1000).toFixed(1);
if (values['markdown']) process.stdout.write(powerTable(rows));
else
  for (const r of rows)
    process.stdout.write(
      `${r.fault.padEnd(26)} seed ${String(r.seed).padEnd(4)} ${r.found ? `${((r.foundAfterMs ?? 0) / 1000).toFixed(1).padStart(6)} s  ${r.requirements!.join(',')}  ${r.operations} ops/${r.steps} steps/${r.messages} msgs, ${r.shrinkRuns} shrink runs, ${r.reproduced}/${r.confirmRuns} replays` : `not found (${r.cases} cases)`}\n`,
    );
process.stdout.write(`\nwall time ${wall} s; load average at the end ${endLoad}\n`);
if (values['json'])
  writeFileSync(
    String(values['json']),
    `${JSON.stringify({ budgetMs, seeds: perFault ?? seeds, load: { start: load, end: endLoad }, rows }, null, 2)}\n`,
  );
const missed = faults.filter((f) =>
  f === 'none' ? results.get(f)?.some((r) => r.found) : !results.get(f)?.some((r) => r.found),
);
process.exitCode = missed.length > 0 ? 1 : 0;
