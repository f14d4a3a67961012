/**
 * `npm run bench`: runs the benchmark sections of scripts/bench/*.ts, each in a child process of
 * its own (one section's heap, JIT state and leftover sockets never weigh on the next), in order,
 * or only those named with `--only NAME` (repeatable, or comma-separated). Each section prints
 * its rounds and reports goal figures (scripts/bench/figures.ts); the run ends with one table —
 * figure, goal, now, met — and `--json FILE` writes that table as `[{figure, goal, now, met}]`.
 * Benchmarks assert nothing and the exit code does not depend on goals (STYLE.md): a missed goal
 * is a finding to read, not a failure of the run. A section that crashes exits non-zero.
 *
 * Adding a section is one line in SECTIONS: a module that exports `run(): Promise<void>`.
 */

import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Figure } from './bench/figures.js';

interface Section {
  run(): Promise<void>;
}

/** name → [what it measures, loader]. One line per section. */
const SECTIONS: Record<string, [what: string, load: () => Promise<Section>]> = {
  server: [
    'reference server, durable: accepts/s vs Mosquitto QoS 1 acknowledged, group commit vs none',
    () => import('./bench/server.js'),
  ],
  proxy: [
    'fault proxy vs direct: rule path (what fault scenarios take) and raw pipe, added latency',
    () => import('./bench/proxy.js'),
  ],
  bots: [
    'imspec bots vs a bare ws client: exchange rate and client CPU per message',
    () => import('./bench/bots.js'),
  ],
  checker: ['checker on synthetic histories', () => import('./bench/checker.js')],
  load: [
    'load engine vs a bare ws client: exchange rate, memory per bot, ledger µs/msg',
    () => import('./bench/load.js'),
  ],
};

const USAGE = `usage: npm run bench [-- [--only NAME[,NAME…]]… [--json FILE]]

Runs each section in its own child process and ends with a goal table (figure, goal, now, met,
and where a section measures one, the floor: what the least possible work reaches).
  --only NAME   run only these sections (repeatable or comma-separated)
  --json FILE   also write the goal table as JSON: [{figure, goal, now, met, floor?}]
Every figure is a median of interleaved rounds, as a ratio against a baseline of the same run
where it is a ratio; sizes and round counts come from IMSPEC_BENCH_* (see each section's file).

sections:
${Object.entries(SECTIONS)
  .map(([name, [what]]) => `  ${name.padEnd(10)} ${what}`)
  .join('\n')}`;

interface Args {
  only: string[];
  json?: string;
}

function usageError(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): Args {
  const only: string[] = [];
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') usageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--only') only.push(...value().split(',').filter(Boolean));
    else if (flag === '--json') json = value();
    else usageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  for (const name of only) {
    if (!Object.hasOwn(SECTIONS, name)) usageError(`unknown section ${JSON.stringify(name)}`);
  }
  return { only: only.length > 0 ? only : Object.keys(SECTIONS), ...(json ? { json } : {}) };
}

/** Runs one section in a child process; resolves with the figures it reported and its exit code. */
function runChild(name: string): Promise<{ figures: Figure[]; code: number }> {
  return new Promise((resolve) => {
    const figures: Figure[] = [];
    const child = fork(fileURLToPath(import.meta.url), ['--section', name], { stdio: 'inherit' });
    child.on('message', (m) => {
      const row = (m as { imspecBenchFigure?: Figure }).imspecBenchFigure;
      if (row) figures.push(row);
    });
    child.once('exit', (code, signal) => resolve({ figures, code: code ?? (signal ? 1 : 0) }));
  });
}

function table(rows: readonly Figure[]): string {
  const mark = (r: Figure) => (r.met === null ? 'n/a' : r.met ? 'met' : 'MISSED');
  const floor = (r: Figure) => (r.floor ? `${r.floor.now}${r.floor.met ? '' : ' (misses)'}` : '');
  const head = ['figure', 'goal', 'now', 'met', 'floor'];
  const cells = rows.map((r) => [r.figure, r.goal, r.now, mark(r), floor(r)]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(width.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--section');
  if (at > 0) {
    const name = process.argv[at + 1]!;
    const started = performance.now();
    await (await SECTIONS[name]![1]()).run();
    console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return;
  }
  const args = parse(process.argv.slice(2));
  const rows: Figure[] = [];
  let failed = false;
  for (const name of args.only) {
    const { figures, code } = await runChild(name);
    rows.push(...figures);
    if (code !== 0) {
      failed = true;
      rows.push({ figure: `${name} section`, goal: 'runs', now: `exited with ${code}`, met: null });
    } else if (figures.length === 0) {
      rows.push({
        figure: `${name} section`,
        goal: 'reports figures',
        now: 'printed only (see above)',
        met: null,
      });
    }
  }
  console.log(`goals (${args.only.join(', ')}):\n${table(rows)}`);
  const count = (met: boolean | null) => rows.filter((r) => r.met === met).length;
  console.log(`${count(true)} met, ${count(false)} missed, ${count(null)} not measured`);
  const beyond = rows.filter((r) => r.floor !== undefined && !r.floor.met).length;
  if (beyond > 0)
    console.log(
      `${beyond} of the goals are missed by their floor too (the least possible work, measured in the same run): no implementation meets them on this machine`,
    );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
  if (failed) process.exitCode = 1;
}

await main();
