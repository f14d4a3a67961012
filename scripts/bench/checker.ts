/**
 * Bench section `checker`: the case checker, check(), on clean histories of 100k, 1M and 5M
 * messages — a scaling series, so superlinear growth shows. Each message is the eight events of a
 * clean exchange (send, msg:R, msg:A, msg:N, commit, ack:R, ack:A, ack:N) over 50 interleaved
 * sender/receiver pairs, and every frame is what a bot records: `fields` is the frame object and
 * `raw` its JSON text (the history's real weight, which the garbage collector walks too).
 *
 * Each size runs in a process of its own (a fresh heap, sized for the history). Rounds are
 * interleaved with a baseline on the same array — one pass reading every event's kind and type,
 * the floor for anything that looks at every event — and figures are medians; a small size runs
 * more rounds (at least 2M messages checked per size), so its median is as steady as a large one's.
 *
 * Goals (issue 9): ≥ 1M messages/s (≤ 1 µs/message) at 1M and 5M; flat µs/message (5M within
 * 1.2× of 100k). The figures use the process's CPU time (wall time is printed too): on this
 * shared machine a check() may get a tenth of a core, and wall time then measures the neighbours.
 * Also printed: check() over the read floor (same run); the count-once floor (kit-floor.ts: the
 * least any exactly-once verdict costs here, one lookup per event and no rules), which places
 * the 1 µs goal; and the peak resident memory check() adds per message (what its ledger keeps,
 * plus garbage not yet collected).
 *
 * Environment: IMSPEC_BENCH_CHECKER_MESSAGES (100000,1000000,5000000), IMSPEC_BENCH_ROUNDS (5).
 * Run one size alone: `node --max-old-space-size=16384 dist/scripts/bench/checker.js --size N`.
 */

import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { check } from '../../src/checker/index.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { cleanContext, cleanExchange } from './clean-history.js';
import {
  atLeast,
  atMost,
  cpuMsSince,
  envInt,
  type Figure,
  figure,
  fmtSpread,
  pairedRatio,
  spread,
} from './figures.js';
import { countOnce } from './kit-floor.js';

/** µs per message for 1M messages/s. */
const GOAL_US = 1;
/** 5M's µs/message over 100k's. */
const GOAL_FLAT = 1.2;
/** Messages each size checks over all its rounds, at the least (see runSize). */
const MIN_CHECKED = 2_000_000;

/** A clean run of `messages` messages: what a correct server and bots record, frame text kept. */
export function syntheticHistory(messages: number): HistoryEvent[] {
  return Array.from(cleanExchange(messages, { raw: true, scheduled: false }));
}

export const syntheticContext = cleanContext;

/** The floor: read every event's kind and frame type once. */
function readPass(events: readonly HistoryEvent[]): number {
  let frames = 0;
  for (const e of events) if (e.kind === 'frame' && e.type !== undefined) frames++;
  return frames;
}

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** One size, in this process: rounds of the floor and check(), interleaved. */
async function runSize(messages: number): Promise<void> {
  const gc = gcFn();
  // A small size's check is a fraction of a second, one sample of whatever else the machine does:
  // its median over 5 rounds moved by half between two runs of one day (100k: 8.12 and 5.44
  // µs/message, while 5M read 5.73 and 6.77), and the flatness figure with it. So every size
  // checks at least MIN_CHECKED messages in all (100k: 20 rounds), and the medians compare alike.
  const rounds = Math.max(envInt('IMSPEC_BENCH_ROUNDS', 5), Math.ceil(MIN_CHECKED / messages));
  // Warm the JIT on a small history first, so rounds measure the steady state.
  const warm = syntheticHistory(20_000);
  check(warm, syntheticContext());
  readPass(warm);

  const built = performance.now();
  const events = syntheticHistory(messages);
  const buildS = (performance.now() - built) / 1000;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const check_: number[] = [];
  const cpu: number[] = [];
  const floor: number[] = [];
  const onceCpu: number[] = [];
  let result: ReturnType<typeof check> | undefined;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    readPass(events);
    floor.push(performance.now() - t0);
    gc();
    const onceFrom = process.cpuUsage();
    if (countOnce(events) !== 0) throw new Error('the count-once floor miscounted a clean history');
    onceCpu.push(cpuMsSince(onceFrom));
    result = undefined;
    gc();
    const cpu0 = process.cpuUsage();
    t0 = performance.now();
    result = check(events, syntheticContext());
    check_.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  const peakAdded = process.resourceUsage().maxRSS * 1024 - rssBefore;
  const stats = result!.stats;
  const us = spread(check_.map((ms) => (ms * 1000) / messages));
  const n = messages.toLocaleString('en-US');
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `checker ${n} messages (load average ${load}): ${events.length.toLocaleString('en-US')} events, history ${(heapBefore / 2 ** 30).toFixed(2)} GiB heap (built in ${buildS.toFixed(1)} s), ${rounds} rounds`,
  );
  console.log(`  check()              ${fmtSpread(us, ' µs/message', 2)} wall`);
  console.log(
    `                       ${fmtSpread(
      spread(cpu.map((ms) => (ms * 1000) / messages)),
      ' µs/message',
      2,
    )} CPU (every thread of the process; on a shared machine wall time includes waiting for a core)`,
  );
  console.log(`  floor: read pass     ${fmtSpread(spread(floor), ' ms', 0)}`);
  console.log(`  check / read pass    ${fmtSpread(pairedRatio(check_, floor), '×', 1)}`);
  const onceUs = spread(onceCpu.map((ms) => (ms * 1000) / messages));
  console.log(
    `  floor: count once    ${fmtSpread(onceUs, ' µs/message', 2)} CPU — the least an exactly-once verdict costs (kit-floor.ts), against the goal's ${GOAL_US} µs`,
  );
  console.log(`  check / count once   ${fmtSpread(pairedRatio(cpu, onceCpu), '×', 1)} CPU`);
  console.log(
    `  peak memory added    ${(peakAdded / messages).toFixed(0)} bytes/message (RSS high-water over the history's)`,
  );
  console.log(
    `  verdict: ${result!.findings.length} findings; delivered ${stats.delivered}/${stats.sent}; ${stats.ackLatencyMs.length} ack latencies`,
  );
  if (result!.findings.length > 0)
    throw new Error('a clean history drew findings: the bench measures a broken checker');
  // Figures from CPU time: on a shared machine wall time mostly measures the neighbours (on an
  // idle one the two agree, the checker being one thread).
  const usCpu = spread(cpu.map((ms) => (ms * 1000) / messages)).median;
  figure(
    atLeast(
      `checker ${n} messages (M messages/s of CPU)`,
      1 / usCpu,
      1 / GOAL_US,
      'M/s',
      2,
      1 / onceUs.median,
    ),
  );
  process.send?.({ imspecCheckerUs: usCpu, messages });
}

/** Runs one size in a child process with a heap sized for it; relays its figures. */
function child(messages: number): Promise<number> {
  // ~2.7 KB of history per message with raw text, plus the checker's own: a limit with headroom,
  // so the rounds measure the checker and not a collector thrashing near the heap's ceiling.
  const heapMb = Math.max(4096, 1024 + Math.ceil((messages * 4500) / 2 ** 20));
  return new Promise((resolve, reject) => {
    let us = Number.NaN;
    const c = fork(fileURLToPath(import.meta.url), ['--size', String(messages)], {
      stdio: 'inherit',
      execArgv: [`--max-old-space-size=${heapMb}`],
    });
    c.on('message', (m) => {
      const msg = m as { imspecBenchFigure?: Figure; imspecCheckerUs?: number };
      if (msg.imspecBenchFigure) process.send?.(msg);
      if (msg.imspecCheckerUs !== undefined) us = msg.imspecCheckerUs;
    });
    c.once('exit', (code) =>
      code === 0 ? resolve(us) : reject(new Error(`checker at ${messages} exited ${code}`)),
    );
  });
}

export async function run(): Promise<void> {
  const sizes = (process.env['IMSPEC_BENCH_CHECKER_MESSAGES'] ?? '100000,1000000,5000000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const us: number[] = [];
  for (const n of sizes) us.push(await child(n));
  if (sizes.length > 1) {
    const growth = us[us.length - 1]! / us[0]!;
    const [a, b] = [sizes[0]!, sizes[sizes.length - 1]!].map((n) => n.toLocaleString('en-US'));
    figure(atMost(`checker CPU µs/message at ${b} over ${a}`, growth, GOAL_FLAT, '×', 2));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--size');
  if (at > 0) await runSize(Number(process.argv[at + 1]));
  else await run();
}
