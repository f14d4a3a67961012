/**
 * False alarms of `imspec explore` (`npm run explore:campaign`): N explore runs, each with its own
 * seed, against the healthy embedded reference server, which keeps every rule — so any finding is
 * a false alarm, to be fixed at its cause (a kit limit, a rule that misreads a history), never by
 * loosening a rule. Not part of `npm test`: the full campaign is 20 × 60 s.
 *
 *   node dist/scripts/explore-campaign.js [--runs 20] [--budget 60s] [--seed N]
 *                                         [--config explore.yaml] [--out DIR] [--json FILE]
 *                                         [--server-fault NAME]
 *
 * `--server-fault` runs against a deliberately broken server instead, to see the script report
 * (every run should then end with a finding).
 *
 * Seeds are `--seed`, `--seed`+1, … (without `--seed` a random first one is printed). Prints one
 * line per run (cases, verdicts), then every finding with its shrunk scenario and the command that
 * replays it. ERROR and INCONCLUSIVE cases are the kit's own trouble: counted and shown, not
 * findings. Exit code: 0 when no run found anything, 1 otherwise, 2 on a bad option.
 */

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadExploreConfig } from '../src/explore/config.js';
import { type ExploreResult, explore } from '../src/explore/explore.js';
import { parseDuration } from '../src/scenarios/duration.js';

function usage(message: string): never {
  process.stderr.write(`explore-campaign: ${message}\n`);
  process.exit(2);
}

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      budget: { type: 'string', default: '60s' },
      seed: { type: 'string' },
      config: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      'server-fault': { type: 'string' },
    },
  }));
} catch (err) {
  usage((err as Error).message);
}

const runs = Number(values['runs']);
if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a positive integer, got ${values['runs']}`);
let budgetMs: number;
try {
  budgetMs = parseDuration(values['budget']!);
} catch (err) {
  usage(`--budget: ${(err as Error).message}`);
}
const firstSeed = values['seed'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values['seed']);
if (!Number.isInteger(firstSeed) || firstSeed < 0)
  usage(`--seed must be an integer ≥ 0, got ${values['seed']}`);
let config: ReturnType<typeof loadExploreConfig>;
try {
  config = loadExploreConfig(values['config']);
} catch (err) {
  usage((err as Error).message);
}
const outRoot = values['out'] ?? join(tmpdir(), `imspec-explore-campaign-${process.pid}`);

process.stderr.write(
  `explore-campaign: ${runs} runs × ${budgetMs / 1000} s against the ${values['server-fault'] ? `reference server with --server-fault ${values['server-fault']}` : 'healthy reference server'}, seeds ${firstSeed}…${firstSeed + runs - 1} (figures on a shared machine)\n`,
);

const results: ExploreResult[] = [];
const started = performance.now();
for (let run = 0; run < runs; run++) {
  const seed = firstSeed + run;
  const fault = values['server-fault'];
  const result = await explore({
    budgetMs,
    seed,
    config,
    outDir: join(outRoot, `seed-${seed}`),
    ...(fault ? { serverFaults: [fault] } : {}),
  });
  results.push(result);
  const verdicts = Object.entries(result.verdicts)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  process.stdout.write(
    `seed ${seed}: ${result.cases} cases in ${(result.elapsedMs / 1000).toFixed(1)} s (${verdicts || 'none'})${result.finding ? ` — ${fault ? 'FINDING' : 'FALSE ALARM'} ${result.finding.summary}` : ''}\n`,
  );
}

const alarms = results.filter((r) => r.finding !== undefined);
const cases = results.reduce((n, r) => n + r.cases, 0);
const kitTrouble = results.reduce(
  (n, r) => n + (r.verdicts['ERROR'] ?? 0) + (r.verdicts['INCONCLUSIVE'] ?? 0),
  0,
);
process.stdout.write(
  `\n${runs} runs, ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s: ${alarms.length} ${values['server-fault'] ? 'finding(s)' : 'false alarm(s)'}, ${kitTrouble} ERROR/INCONCLUSIVE case(s) (kit limits, not findings)\n`,
);
for (const r of alarms) {
  const f = r.finding!;
  process.stdout.write(
    `\nseed ${r.seed}, case ${f.caseIndex}: ${f.summary}\n  scenario: ${f.file} (${f.operations} operations, ${f.messages} messages; failed ${f.reproduced} of ${f.confirmRuns} replays)\n  replay:   ${f.replay}\n`,
  );
}
if (values['json'])
  writeFileSync(values['json'], `${JSON.stringify({ firstSeed, budgetMs, results }, null, 2)}\n`);
process.exitCode = alarms.length > 0 ? 1 : 0;
