/**
 * The load bench's third section, the streaming ledger alone: CPU µs per message (wall beside
 * it, and the load average) and heap after GC at the end, at 1M and 10M messages of a synthetic
 * clean exchange (../clean-history.ts), fed one event at a time and never stored, each size in a
 * fresh process (this file, forked with `--ledger N`); the generator's own CPU time (timed alone
 * in the same process) is taken off, and what only keeping the events as long as the ledger does
 * costs (no rules) is shown beside it.
 */

import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_GRACE_MS, DEFAULT_SETTLE_MS } from '../../../src/checker/engine.js';
import type { LedgerFactory } from '../../../src/checker/ledger-contract.js';
import { EventLog } from '../../../src/checker/log.js';
import { graceFor } from '../../../src/checker/owed.js';
import { quietFor } from '../../../src/checker/retire.js';
import { UnsupportedError } from '../../../src/errors.js';
import { defaultLedger } from '../../../src/load/default-ledger.js';
import { LatencyHistograms } from '../../../src/load/latency.js';
import { type CleanHistoryOptions, cleanContext, cleanExchange, LIMITS } from '../clean-history.js';
import { atMost, figure } from '../figures.js';
import { gc, memory } from './memory-per-bot.js';

/** The history as a load run's ledger reads it: frame text dropped, sends with their schedule. */
const LOAD_RUN: CleanHistoryOptions = { raw: false, scheduled: true };

/** The streaming ledger of this build, or undefined when it has none. */
export function ledgerFactory(): LedgerFactory | undefined {
  try {
    return defaultLedger();
  } catch (error) {
    if (error instanceof UnsupportedError) return undefined;
    throw error;
  }
}

interface LedgerResult {
  messages: number;
  /**
   * Process CPU time (user + system) per message net of the generator's (genUs): what the ledger
   * costs, whatever the neighbours do.
   */
  cpuUs: number;
  /** Wall time per message, net of the generator's CPU time (it runs on the same thread). */
  wallUs: number;
  /** The event generator's own CPU time per message, taken off cpuUs and wallUs. */
  genUs: number;
  /** Of cpuUs, what only keeping the events as long as the ledger does costs (keepCost). */
  keepUs: number;
  /** Heap (+ external) after a full GC at the end of the run, the ledger still alive and unfinished. */
  heapMb: number;
  findings: number;
  loadAvg: number;
}

/**
 * CPU µs per message of the generator alone, its events dropped as they come. The ledger run
 * pays this too, and the load engine makes its events anyway, so it is not the ledger's. Alone it
 * is about 1 µs a message: a CPU profile of the ledger run gives the generator a quarter to a third
 * of its samples, but most of those are the collector's work (scavenges, marking steps) on the
 * events the ledger keeps, charged to the frame that allocated. Taken off by subtraction rather
 * than by generating batches ahead of the clock: the ledger keeps every event until its message
 * is judged, so what keeping them costs (promotion, old-space marking) stays the ledger's, and
 * the heap at the end holds only what the ledger holds. At most a million messages: its cost per
 * message is flat (nothing it makes outlives the next event).
 */
function generatorCost(messages: number): number {
  const n = Math.min(messages, 1_000_000);
  let sink = 0;
  const cpu0 = process.cpuUsage();
  for (const e of cleanExchange(n, LOAD_RUN)) sink += e.t;
  const cpu = process.cpuUsage(cpu0);
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the loop from being optimized away');
  return (cpu.user + cpu.system) / n;
}

/**
 * CPU µs per message of only keeping the events as the ledger keeps them, net of the generator:
 * the same log (log.ts), retired on the same clock, forgetting what is older than the ledger's
 * quiet window for this exchange (retire.ts, a grace from the server's repushMs) — no rules, no
 * tables. What it costs is the collector's copying and marking of the events held; measured at
 * 1M messages it was a third to a half of the ledger's CPU, which no faster rule code can win back
 * (the events would have to be kept as compact records instead). Flat per message, like the
 * generator, so at most a million.
 */
function keepCost(messages: number, genUs: number): number {
  const n = Math.min(messages, 1_000_000);
  const quietMs = quietFor(graceFor(DEFAULT_GRACE_MS, LIMITS.repushMs), DEFAULT_SETTLE_MS);
  const log = new EventLog();
  // (time, index) of every thousandth send: where the floor may go.
  const marks: number[] = [];
  let sends = 0;
  let from = 0;
  const cpu0 = process.cpuUsage();
  for (const e of cleanExchange(n, LOAD_RUN)) {
    const i = log.append(e);
    if (e.kind !== 'send') continue;
    if (sends % 1000 === 0) marks.push(e.t, i);
    if (++sends % 100_000 === 0) {
      let floor = log.floor;
      while (from < marks.length && marks[from]! <= e.t - quietMs) {
        floor = marks[from + 1]!;
        from += 2;
      }
      log.dropBelow(floor);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n - genUs;
}

/**
 * One run of the ledger over `messages` messages of the clean exchange, retiring every 100k sends
 * (4 s of history at this exchange's 25k messages/s: the ledger judges a message once it has been
 * quiet for two graces, so about 200k-300k messages are in flight at any retirement). The heap is
 * taken before finish(), with the ledger alive: what it holds at the end of a run.
 */
function ledgerRun(factory: LedgerFactory, messages: number): LedgerResult {
  const ledger = factory({ ...cleanContext(), covers: [], latency: new LatencyHistograms() });
  const genUs = generatorCost(messages);
  const keepUs = keepCost(messages, genUs);
  // What the baseline kept goes before the ledger's clock starts.
  gc();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  let last = 0;
  for (const e of cleanExchange(messages, LOAD_RUN)) {
    ledger.push(e);
    last = e.t;
    if (e.kind === 'send' && ++n % 100_000 === 0) ledger.retire(last);
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - start;
  const heapMb = memory().heap / 2 ** 20;
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  const result = ledger.finish(last + 1);
  const fin = process.cpuUsage(cpu1);
  const finishMs = performance.now() - t1;
  return {
    messages,
    cpuUs: (cpu.user + cpu.system + fin.user + fin.system) / messages - genUs,
    wallUs: ((wallMs + finishMs) * 1000) / messages - genUs,
    genUs,
    keepUs,
    heapMb,
    findings: result.findings.length,
    loadAvg: loadavg()[0]!,
  };
}

/** One size in a fresh process (a clean heap, so heaps at the end compare). */
function ledgerChild(messages: number): Promise<LedgerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--ledger', String(messages)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as LedgerResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`ledger child (${messages}) exited with ${code}`));
    });
  });
}

export /** Section 3: the ledger alone at each size; flat CPU per message and an end heap that does not grow. */
async function ledgerSection(): Promise<void> {
  const sizes = (process.env.IMSPEC_BENCH_LEDGER_MESSAGES ?? '1000000,10000000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const results: LedgerResult[] = [];
  for (const n of sizes) {
    const r = await ledgerChild(n);
    results.push(r);
    console.log(
      `  ledger ${n.toLocaleString('en-US')} messages (load average ${r.loadAvg.toFixed(1)}): ${r.cpuUs.toFixed(2)} µs/message CPU, ${r.wallUs.toFixed(2)} wall (net of the event generator's ${r.genUs.toFixed(2)}; of it, keeping the events as long as the ledger does, no rules: ${r.keepUs.toFixed(2)}); heap after GC at the end ${r.heapMb.toFixed(0)} MiB`,
    );
    if (r.findings > 0)
      throw new Error(`the clean exchange drew ${r.findings} findings: the bench measures a broken ledger`);
  }
  if (results.length < 2) return;
  const a = results[0]!;
  const b = results[results.length - 1]!;
  const [na, nb] = [a.messages, b.messages].map((n) => n.toLocaleString('en-US'));
  // Flat µs/message is linear total cost; the heap at the end follows what is in flight (the same
  // at every size here), never the run's length.
  figure(atMost(`ledger CPU µs/message at ${nb} over ${na}`, b.cpuUs / a.cpuUs, 1.2, '×', 2));
  figure(atMost(`ledger heap at the end, ${nb} over ${na}`, b.heapMb / a.heapMb, 1.2, '×', 2));
}

// A child of ledgerSection: one size (run as the main module only).
if (process.argv[2] === '--ledger' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const factory = ledgerFactory();
  if (factory === undefined) throw new Error('this build has no streaming ledger');
  const r = ledgerRun(factory, Number(process.argv[3]));
  // Run by hand (under --cpu-prof, say) there is no parent to tell.
  if (process.send) process.send(r, () => process.exit(0));
  else console.log(r);
}
