/**
 * Bench section "bots": messages per second driven by imspec bots (schema validation of every
 * frame, history of every frame and decision, metrics fed from the history, and the checker over
 * the whole history at the end, its time included) against a bare `ws` client doing the same RAN/1 exchange — msg:R → msg:A,
 * msg:N → coalesced ack:R → ack:A, ack:N delivered — on the same in-process reference server, in
 * one run. Prints both rates and their ratio (goal ≥ 0.8, docs/architecture.md).
 *
 * Both sides keep the same window of unaccepted messages in flight and finish when the sender
 * holds a delivered receipt for every message. Each side runs on a fresh server and database;
 * rounds alternate (bare, bots, bare, bots…) so drift hits both, and the best round of each
 * counts.
 *
 * Environment: IMSPEC_BENCH_MESSAGES (default 20000), IMSPEC_BENCH_WINDOW (default 1000),
 * IMSPEC_BENCH_ROUNDS (default 2); IMSPEC_BENCH_METRICS=0 and IMSPEC_BENCH_CHECKER=0 leave those out, to
 * see what each costs; IMSPEC_BENCH_PLACEMENT=worker|thread runs one placement only.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { Bot } from '../../src/bots/bot.js';
import { resolveClientOptions } from '../../src/bots/options.js';
import { type CheckResult, check } from '../../src/checker/index.js';
import { createDriver } from '../../src/drivers/index.js';
import { History } from '../../src/history/events.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { hmacToken } from '../../src/protocol/auth.js';
import type { Cap } from '../../src/protocol/frames.js';
import { type RunningServer, startServer } from '../../src/server/index.js';

const SECRET = 'bench';

interface Settings {
  messages: number;
  window: number;
  rounds: number;
  /** Feed metrics from the history (on by default; off only to see what they cost). */
  metrics: boolean;
  /** Run the checker at the end (on by default). */
  checker: boolean;
}

interface RoundResult {
  ms: number;
  rate: number;
  /** Process CPU time (every thread, server included) spent on the round. */
  cpuMs: number;
  note: string;
}

/** CPU ms of the whole process since `from` (user + system, all threads). */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function settings(): Settings {
  const int = (name: string, fallback: number) => {
    const v = Number.parseInt(process.env[name] ?? '', 10);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    messages: int('IMSPEC_BENCH_MESSAGES', 20_000),
    window: int('IMSPEC_BENCH_WINDOW', 1000),
    rounds: int('IMSPEC_BENCH_ROUNDS', 2),
    metrics: process.env.IMSPEC_BENCH_METRICS !== '0',
    checker: process.env.IMSPEC_BENCH_CHECKER !== '0',
  };
}

/**
 * Where the reference server runs: on the bench's own thread (server and client share one core,
 * so every microsecond of client work slows the server too), or in a worker thread of the same
 * process (its own core, as a deployed server would have; the client is measured by whether it
 * keeps up).
 */
type Placement = 'thread' | 'worker';

interface ServerHandle {
  url: string;
}

async function withServer<T>(placement: Placement, fn: (server: ServerHandle) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-bench-bots-'));
  const db = join(dir, 'bench.db');
  try {
    if (placement === 'thread') {
      const server = await startServer({ port: 0, db, hmacSecret: SECRET });
      try {
        return await fn(server);
      } finally {
        await server.close();
      }
    }
    const worker = new Worker(new URL(import.meta.url), { workerData: { db } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        worker.once('message', (m: { url: string }) => resolve(m.url));
        worker.once('error', reject);
      });
      return await fn({ url });
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Worker entry: serve until told to close. */
async function serveInWorker(db: string): Promise<void> {
  const server: RunningServer = await startServer({ port: 0, db, hmacSecret: SECRET });
  parentPort?.once('message', () => {
    server.close().then(() => process.exit(0));
  });
  parentPort?.postMessage({ url: server.url });
}

function body(i: number): string {
  // 32 bytes, unique per message, like the scenario runner's generated bodies.
  return `bench-${i.toString(36).padStart(8, '0')}-${'x'.repeat(17)}`;
}

// ── bare ws client ────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

function bareLogin(url: string, user: string): Promise<{ ws: WebSocket; first: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'ran.1', { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      const first = new Promise<void>((ok) => {
        ws.once('message', () => ok());
      });
      ws.send(
        JSON.stringify({
          type: 'hello:R',
          rid: 'h',
          user,
          device: 'd1',
          token: hmacToken(SECRET, user),
          lastSeq: 0,
        }),
      );
      resolve({ ws, first });
    });
  });
}

async function bareRound(s: Settings, placement: Placement): Promise<RoundResult> {
  return withServer(placement, async (server) => {
    const a = await bareLogin(server.url, 'alice');
    const b = await bareLogin(server.url, 'bob');
    await Promise.all([a.first, b.first]);
    let sent = 0;
    let accepted = 0;
    let delivered = 0;
    let rid = 0;
    let maxSeq = 0;
    let ackQueued = false;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const done = new Promise<void>((resolve) => {
      const pump = () => {
        while (sent < s.messages && sent - accepted < s.window) {
          const i = sent++;
          a.ws.send(
            JSON.stringify({ type: 'msg:R', rid: `r${++rid}`, cmid: `c${i}`, to: 'bob', body: body(i) }),
          );
        }
      };
      a.ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as Json;
        if (f.type === 'msg:A') {
          accepted++;
          pump();
        } else if (f.type === 'ack:N' && f.status === 'delivered') {
          if (++delivered === s.messages) resolve();
        }
      });
      b.ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as Json;
        if (f.type !== 'msg:N') return;
        if (typeof f.seq === 'number' && f.seq > maxSeq) maxSeq = f.seq;
        // The same coalescing as the bots: one cumulative ack per event-loop turn.
        if (!ackQueued) {
          ackQueued = true;
          queueMicrotask(() => {
            ackQueued = false;
            b.ws.send(JSON.stringify({ type: 'ack:R', rid: `k${++rid}`, upTo: maxSeq }));
          });
        }
      });
      pump();
    });
    await done;
    const ms = performance.now() - start;
    const cpuMs = cpuSince(cpu);
    a.ws.terminate();
    b.ws.terminate();
    return { ms, rate: (s.messages / ms) * 1000, cpuMs, note: '' };
  });
}

// ── imspec bots ───────────────────────────────────────────────────────────────────────────

async function botsRound(s: Settings, placement: Placement): Promise<RoundResult> {
  return withServer(placement, async (server) => {
    const history = new History();
    const metrics = createMetrics(new Registry());
    const base = { scenario: 'bench', driver: 'ran', suite: 'bench' };
    const detach = s.metrics ? attachHistoryMetrics(history, metrics, base) : () => {};
    const driver = createDriver('ran', { target: server.url });
    // Retransmit timers far beyond the expected latency: the bench measures the exchange, not retries.
    const client = resolveClientOptions({ retransmitMs: 10_000, maxRetransmitMs: 20_000 });
    const make = (user: string) =>
      new Bot({
        actor: `${user}/d1`,
        user,
        device: 'd1',
        token: hmacToken(SECRET, user),
        driver,
        history,
        client,
      });
    const alice = make('alice');
    const bob = make('bob');
    await Promise.all([alice.connect(), bob.connect()]);
    let sent = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    await new Promise<void>((resolve) => {
      const pump = () => {
        const c = alice.state.counts;
        if (c.delivered === s.messages) {
          off();
          resolve();
          return;
        }
        while (sent < s.messages && sent - (c.accepted + c.stored + c.delivered) < s.window) {
          alice.send('bob', body(sent));
          sent++;
        }
      };
      const off = alice.onChange(pump);
      pump();
    });
    let ms = performance.now() - start;
    const notes = [`${history.events.length} history events`];
    if (s.checker) {
      try {
        const checked = runChecker(history, [...(alice.state.lastSession?.caps ?? [])]);
        ms += checked.ms;
        notes.push(`checker ${checked.ms.toFixed(0)} ms, ${checked.findings.length} findings`);
        for (const f of checked.findings.slice(0, 3))
          notes.push(`finding ${f.kind} ${f.requirement}: ${f.actual}`);
      } catch (error) {
        // The bench measures the bots; a checker bug is reported, not fatal.
        notes.push(`checker failed: ${(error as Error).message}`);
      }
    } else {
      notes.push('checker off');
    }
    if (!s.metrics) notes.push('metrics off');
    const retransmits = history.events.filter((e) => e.kind === 'retransmit').length;
    if (retransmits > 0) notes.push(`${retransmits} retransmits`);
    const cpuMs = cpuSince(cpu);
    detach();
    await Promise.all([alice.stop(), bob.stop()]);
    return { ms, rate: (s.messages / ms) * 1000, cpuMs, note: notes.join(', ') };
  });
}

/** The checker over the whole history, timed as part of the bots' cost. */
function runChecker(history: History, caps: Cap[]): { ms: number; findings: CheckResult['findings'] } {
  const start = performance.now();
  const result = check(history.events, {
    expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
    users: { alice: ['d1'], bob: ['d1'] },
    caps,
    endT: history.now(),
  });
  return { ms: performance.now() - start, findings: result.findings };
}

// ── section ───────────────────────────────────────────────────────────────────────────────

async function section(s: Settings, placement: Placement, title: string): Promise<number> {
  console.log(`  ${title}`);
  const bare: RoundResult[] = [];
  const bots: RoundResult[] = [];
  for (let r = 0; r < s.rounds; r++) {
    bare.push(await bareRound(s, placement));
    bots.push(await botsRound(s, placement));
  }
  const best = (rs: RoundResult[]) => rs.reduce((x, y) => (y.rate > x.rate ? y : x));
  const b = best(bare);
  const k = best(bots);
  const fmt = (r: RoundResult) =>
    `${Math.round(r.rate).toLocaleString('en-US')} msgs/s (${r.ms.toFixed(0)} ms)`;
  const all = (rs: RoundResult[]) => rs.map((r) => Math.round(r.rate)).join(', ');
  console.log(`    bare ws client   ${fmt(b)}   rounds: ${all(bare)}`);
  console.log(`    imspec bots      ${fmt(k)}   rounds: ${all(bots)}`);
  for (const line of k.note.split(', ')) console.log(`                     ${line}`);
  const ratio = k.rate / b.rate;
  console.log(`    ratio bots/bare  ${ratio.toFixed(2)}  (goal ≥ 0.80)${ratio >= 0.8 ? '' : '  BELOW GOAL'}`);
  // Wall-clock rates swing with whatever else runs on a shared machine; CPU per message (server
  // included) is steadier and says the same thing: how much the kit adds to the exchange.
  const cpu = (rs: RoundResult[]) => Math.min(...rs.map((r) => r.cpuMs));
  const perMsg = (ms: number) => `${((ms * 1000) / s.messages).toFixed(1)} µs CPU/msg`;
  console.log(
    `    CPU              bare ${perMsg(cpu(bare))}, bots ${perMsg(cpu(bots))}: ratio ${(cpu(bare) / cpu(bots)).toFixed(2)}`,
  );
  return ratio;
}

/** The bench section: prints the bare and bots rates and the ratio, for both server placements. */
export async function run(): Promise<void> {
  const s = settings();
  console.log(`bots: ${s.messages} messages alice→bob, window ${s.window}, best of ${s.rounds} rounds each`);
  const only = process.env.IMSPEC_BENCH_PLACEMENT;
  if (only !== 'thread') await section(s, 'worker', 'server in a worker thread (own core, as deployed)');
  if (only !== 'worker')
    await section(s, 'thread', 'server on the same thread as the client (one core for both)');
}

if (!isMainThread && (workerData as { db?: string } | null)?.db) {
  void serveInWorker((workerData as { db: string }).db);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
