/**
 * False alarms (`npm run rerun-suites`): runs every shipped suite again and again against the
 * reference server, which keeps every rule, so anything but PASS is a false alarm to be fixed at
 * its cause — never by loosening an assertion. Not part of `npm test` (it takes long).
 *
 *   node dist/scripts/rerun-suites.js [--runs 20] [--suites suites/core,suites/faults,suites/servers]
 *                                     [--seed N] [--json FILE]
 *
 * Each run gets its own seed (`--seed` is the first; without it a random one is printed), unless
 * `--same-seed` gives every run the same one: then the script also checks "one seed, one verdict"
 * (every case's verdict equal in every run). Prints, per case, how many runs ended with each
 * verdict, then every run that did not PASS with its reason and the command that replays it.
 * Exit code: 0 when every run of every case passed (UNSUPPORTED allowed), else 1.
 */

import { writeFileSync } from 'node:fs';
import type { Verdict } from '../src/report/types.js';
import { runSuites } from '../src/runner/run.js';
import { scriptArgs } from './args.js';

const values = scriptArgs(
  'rerun-suites',
  'node dist/scripts/rerun-suites.js [--runs 20] [--suites suites/core,suites/faults,suites/servers] [--seed N] [--same-seed] [--json FILE]',
  {
    runs: { type: 'string', default: '20' },
    suites: { type: 'string', default: 'suites/core,suites/faults,suites/servers' },
    seed: { type: 'string' },
    'same-seed': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
);

const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const suites = values.suites.split(',').filter(Boolean);
const firstSeed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const root = new URL('../../', import.meta.url);

/** What is no false alarm on the reference server. */
const FINE: ReadonlySet<Verdict> = new Set(['PASS', 'UNSUPPORTED']);

interface Alarm {
  run: number;
  suite: string;
  id: string;
  verdict: Verdict;
  reason: string;
  replay: string;
}

const counts = new Map<string, Map<Verdict, number>>();
const alarms: Alarm[] = [];
const started = performance.now();
process.stderr.write(
  `rerun-suites: ${runs} runs of ${suites.join(', ')}, seeds ${values['same-seed'] ? `all ${firstSeed}` : `${firstSeed}…${firstSeed + runs - 1}`} (figures on a shared machine)\n`,
);

for (let run = 1; run <= runs; run++) {
  const seed = values['same-seed'] ? firstSeed : firstSeed + run - 1;
  for (const suite of suites) {
    const t0 = performance.now();
    const result = await runSuites({
      paths: [new URL(suite, root).pathname],
      seed,
      reports: [],
      minimize: false,
    });
    let bad = 0;
    for (const c of result.cases) {
      const key = `${suite}/${c.id}`;
      const byVerdict = counts.get(key) ?? new Map<Verdict, number>();
      byVerdict.set(c.verdict, (byVerdict.get(c.verdict) ?? 0) + 1);
      counts.set(key, byVerdict);
      if (FINE.has(c.verdict)) continue;
      bad++;
      alarms.push({ run, suite, id: c.id, verdict: c.verdict, reason: c.reason ?? '', replay: c.replay });
      process.stderr.write(`  ${c.verdict} ${c.id}: ${c.reason ?? ''}\n`);
    }
    process.stderr.write(
      `run ${String(run).padStart(2)} seed ${seed} ${suite.padEnd(15)} ${result.cases.length - bad}/${result.cases.length} fine (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  }
}

const lines: string[] = [];
lines.push(`\n${runs} runs, ${((performance.now() - started) / 60_000).toFixed(1)} min\n`);
for (const [key, byVerdict] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
  const cells = [...byVerdict].map(([v, n]) => `${v} ${n}`).join(', ');
  lines.push(`${key.padEnd(48)} ${cells}`);
}
if (values['same-seed']) {
  const mixed = [...counts].filter(([, byVerdict]) => byVerdict.size > 1).map(([key]) => key);
  lines.push(
    `\none seed, one verdict: ${mixed.length === 0 ? 'yes' : `no — mixed verdicts for ${mixed.join(', ')}`}`,
  );
}
lines.push(`\n${alarms.length} false alarm(s)`);
for (const a of alarms)
  lines.push(`  run ${a.run} ${a.suite} ${a.verdict} ${a.id}: ${a.reason}\n    replay: ${a.replay}`);
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json) {
  const table = Object.fromEntries(
    [...counts].map(([key, byVerdict]) => [key, Object.fromEntries(byVerdict)]),
  );
  writeFileSync(
    values.json,
    `${JSON.stringify({ runs, suites, firstSeed, counts: table, alarms }, null, 2)}\n`,
  );
}
process.exitCode = alarms.length === 0 ? 0 : 1;
