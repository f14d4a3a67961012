/**
 * The kill matrix: the core suite against the reference server with each deliberate `--fault`
 * (`npm run kill-matrix`). Proves the suite can fail: every fault must be caught by at least one
 * case, and every case must catch at least one fault or say why it cannot.
 *
 * Writes docs/kill-matrix.md (the table) and suites/core/kill-matrix.json (which cases catch which
 * fault), which test/runner/kill-matrix.test.ts re-proves on every test run. A catch is listed only
 * when a second run of the case against the fault fails too: a catch that hangs on timing (a
 * retransmission that happens to cross a kill) would make that test flaky, so it is shown in the
 * table but not claimed.
 *
 *   node dist/scripts/kill-matrix.js [--jobs 2] [--only fault,fault]
 *
 * With --only the table is printed for those faults and nothing is written (a partial matrix
 * would drop every other fault's claims).
 */

import { writeFileSync } from 'node:fs';
import type { RunResult, Verdict } from '../src/report/types.js';
import { runSuites } from '../src/runner/run.js';
import { SERVER_FAULT_NAMES } from '../src/server/index.js';
import { scriptArgs } from './args.js';

/** Cases that no fault of the reference server can make fail, and why. */
export const UNKILLABLE: Record<string, string> = {};

/**
 * Faults no core case reaches, and the workload shape the cases lack: the targets of
 * `imspec explore` (its runs, not a case, must find them).
 */
export const CORE_MISSES: Record<string, string> = {
  'offline-cap': 'no core case queues more than 300 messages for an offline receiver',
  'sync-clamp-more': 'core bots page with limits within syncLimitMax; needs a page limit above it',
};

const CAUGHT: ReadonlySet<Verdict> = new Set(['FAIL', 'WARN']);
const SEED = 20261122;

const values = scriptArgs('kill-matrix', 'node dist/scripts/kill-matrix.js [--jobs 2] [--only fault,fault]', {
  jobs: { type: 'string', default: '2' },
  only: { type: 'string' },
});
const faults = values.only ? values.only.split(',') : [...SERVER_FAULT_NAMES];
const root = new URL('../../', import.meta.url);

async function runWith(fault: string | undefined, only: string[] = []): Promise<RunResult> {
  const started = performance.now();
  const run = await runSuites({
    paths: [new URL('suites/core', root).pathname],
    only,
    serverFaults: fault ? [fault] : [],
    seed: SEED,
  });
  process.stderr.write(
    `${(fault ?? '(none)').padEnd(24)} ${only.length ? 're-run: ' : ''}${run.cases.filter((c) => CAUGHT.has(c.verdict)).length} caught, ` +
      `${run.cases.filter((c) => c.verdict === 'ERROR').length} errors (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return run;
}

/** The ids of the cases a run caught. */
const caughtIn = (run: RunResult) => run.cases.filter((c) => CAUGHT.has(c.verdict)).map((c) => c.id);

async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

const baseline = await runWith(undefined);
const broken = baseline.cases.filter((c) => c.verdict !== 'PASS');
if (broken.length) {
  console.error(
    `the core suite does not pass without faults: ${broken.map((c) => `${c.id} ${c.verdict}`).join(', ')}`,
  );
  process.exit(1);
}
const runs = await pool(faults, Number(values.jobs), (fault) => runWith(fault));
// The confirming pass: each fault again, against only the cases that caught it.
const reruns = await pool(
  faults.map((_, i) => i),
  Number(values.jobs),
  (i) => {
    const caught = caughtIn(runs[i]!);
    return caught.length ? runWith(faults[i], caught) : Promise.resolve(undefined);
  },
);

const caseIds = baseline.cases.map((c) => c.id).sort();
const verdict = new Map<string, Verdict>();
for (const [i, run] of runs.entries())
  for (const c of run.cases) verdict.set(`${faults[i]}|${c.id}`, c.verdict);

const catches: Record<string, string[]> = {};
// Caught on the first run but not on the confirming one: shown, never claimed.
const unsteady: Record<string, string[]> = {};
// How long each catch took (ms), so the test can re-prove each claim with the quickest run.
const durations: Record<string, Record<string, number>> = {};
for (const [i, run] of runs.entries()) {
  const fault = faults[i]!;
  const again = new Set(reruns[i] ? caughtIn(reruns[i]) : []);
  catches[fault] = caseIds.filter((id) => CAUGHT.has(verdict.get(`${fault}|${id}`)!) && again.has(id));
  unsteady[fault] = caughtIn(run).filter((id) => !again.has(id));
  for (const id of unsteady[fault]) verdict.set(`${fault}|${id}`, 'FLAKY');
  durations[fault] = Object.fromEntries(
    run.cases.filter((c) => again.has(c.id)).map((c) => [c.id, Math.round(c.durationMs)]),
  );
}
const caughtBy = (id: string) => faults.filter((f) => catches[f]!.includes(id));

const mark: Partial<Record<Verdict, string>> = { FAIL: '✗', WARN: 'w', ERROR: 'E', PASS: '·', FLAKY: '~' };
const lines = [
  '# Kill matrix',
  '',
  'The core suite against the reference server with each deliberate defect (`imspec serve --fault`).',
  'Generated by `npm run kill-matrix`; `test/runner/kill-matrix.test.ts` re-runs every catch listed in',
  '`suites/core/kill-matrix.json` on each test run.',
  '',
  '✗ FAIL (a MUST broken) · w WARN (a SHOULD broken) · E ERROR · · PASS · ~ caught on one run, not on the',
  'confirming re-run (timing: not claimed, not re-proved)',
  '',
  `| case | ${faults.join(' | ')} | caught |`,
  `|---|${faults.map(() => ':-:').join('|')}|---:|`,
  ...caseIds.map(
    (id) =>
      `| ${id} | ${faults.map((f) => mark[verdict.get(`${f}|${id}`)!] ?? '?').join(' | ')} | ${caughtBy(id).length} |`,
  ),
  `| **caught by** | ${faults.map((f) => String(catches[f]!.length)).join(' | ')} | |`,
  '',
  '## Faults',
  '',
  ...faults.map(
    (f) => `- \`${f}\`: caught by ${catches[f]!.length ? catches[f]!.join(', ') : '**nothing**'}`,
  ),
  '',
  '## Caught on one run only',
  '',
  ...(faults.some((f) => unsteady[f]!.length)
    ? faults.filter((f) => unsteady[f]!.length).map((f) => `- \`${f}\`: ${unsteady[f]!.join(', ')}`)
    : ['None: every catch held on the confirming re-run.']),
  '',
  '## Cases that catch no fault',
  '',
  ...(caseIds
    .filter((id) => caughtBy(id).length === 0)
    .map((id) => `- ${id}: ${UNKILLABLE[id] ?? '**no reason given**'}`).length
    ? caseIds
        .filter((id) => caughtBy(id).length === 0)
        .map((id) => `- ${id}: ${UNKILLABLE[id] ?? '**no reason given**'}`)
    : ['None: every case catches at least one fault.']),
  '',
];
if (values.only) {
  console.log(lines.join('\n'));
  console.error('--only: printed, nothing written (a partial matrix would drop the other faults)');
} else {
  writeFileSync(new URL('docs/kill-matrix.md', root), lines.join('\n'));
  writeFileSync(
    new URL('suites/core/kill-matrix.json', root),
    `${JSON.stringify({ seed: SEED, catches, durations, unkillable: UNKILLABLE, coreMisses: CORE_MISSES }, null, 2)}\n`,
  );
}
const uncaught = faults.filter((f) => catches[f]!.length === 0 && !CORE_MISSES[f]);
// A case is idle only if no fault at all catches it: not decidable from a partial (--only) run.
const idle = values.only ? [] : caseIds.filter((id) => caughtBy(id).length === 0 && !UNKILLABLE[id]);
console.log(
  `faults uncaught: ${uncaught.join(', ') || 'none'}; cases catching nothing: ${idle.join(', ') || 'none'}`,
);
process.exitCode = uncaught.length || idle.length ? 1 : 0;
