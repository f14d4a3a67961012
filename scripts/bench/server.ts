/**
 * Bench section "server": messages per second the reference server accepts durably (msg:R →
 * msg:A, WAL with synchronous=FULL), with 1 and with 50 concurrent senders, with and without
 * group commit, against what a real Mosquitto acknowledges at QoS 1 (PUBLISH →
 * PUBACK) with the same senders (scripts/bench/mosquitto.ts), and against two floors that answer
 * without any work (scripts/bench/floor-server.ts: what the platform costs) — one on the reference
 * server's own transport, one through the `ws` library — in one run. Goal (docs/architecture.md):
 * the durable server at least as fast as Mosquitto QoS 1, at the largest sender count.
 *
 * Each sender is closed-loop (its next request goes out when the previous answer is in), to its
 * own offline receiver, so every accept is a commit plus a stand-in receipt. The reference server
 * runs in a worker thread (its own event loop and core) on a fresh database per cell; Mosquitto
 * in its own process; the clients are bare (`ws`, raw MQTT bytes) in this thread. Rounds
 * interleave the five; figures are medians of per-round ratios. Loopback only.
 *
 * Environment: IMSPEC_BENCH_SECONDS (per cell, default 2), IMSPEC_BENCH_SENDERS (default "1,50"),
 * IMSPEC_BENCH_ROUNDS (default 5).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { hmacToken } from '../../src/protocol/auth.js';
import { type CommitStats, startServer } from '../../src/server/index.js';
import { atLeast, envInt, figure, fmtSpread, pairedRatio, spread } from './figures.js';
import { startFloorServer } from './floor-server.js';
import { MOSQUITTO, mqttConnect, startMosquitto } from './mosquitto.js';

const SECRET = 'bench';
const WARMUP_MS = 300;

interface Settings {
  seconds: number;
  senders: number[];
  rounds: number;
}

function settings(): Settings {
  const seconds = Number.parseFloat(process.env['IMSPEC_BENCH_SECONDS'] ?? '');
  const senders = (process.env['IMSPEC_BENCH_SENDERS'] ?? '1,50')
    .split(',')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n > 0 && n <= 1000);
  return {
    seconds: Number.isFinite(seconds) && seconds > 0 && seconds <= 60 ? seconds : 2,
    senders: senders.length > 0 ? senders : [1, 50],
    rounds: envInt('IMSPEC_BENCH_ROUNDS', 5),
  };
}

// ── server side (worker thread) ────────────────────────────────────────────────────────────

/** The durable reference server with or without group commit, or a floor (floor-server.ts). */
type ServerKind = 'grouped' | 'single' | 'floor-wire' | 'floor-ws';

interface WorkerInput {
  imspecBenchServer: true;
  db: string;
  kind: ServerKind;
}
type ToWorker = { op: 'stats' } | { op: 'close' };
type FromWorker =
  | { op: 'listening'; url: string }
  | { op: 'stats'; commits: CommitStats; loopActiveMs: number }
  | { op: 'closed' };

const NO_COMMITS: CommitStats = {
  transactions: 0,
  operations: 0,
  largestBatch: 0,
  commitMs: 0,
};

async function serverWorker(input: WorkerInput): Promise<void> {
  const port = parentPort!;
  const server =
    input.kind === 'floor-wire' || input.kind === 'floor-ws'
      ? {
          ...(await startFloorServer(input.kind === 'floor-wire' ? 'wire' : 'ws')),
          stats: () => ({ commits: NO_COMMITS }),
        }
      : await startServer({
          port: 0,
          db: input.db,
          hmacSecret: SECRET,
          groupCommit: input.kind === 'grouped',
        });
  port.postMessage({ op: 'listening', url: server.url } satisfies FromWorker);
  port.on('message', async (m: ToWorker) => {
    if (m.op === 'stats')
      port.postMessage({
        op: 'stats',
        commits: server.stats().commits,
        // The server loop's busy time (an fsync inside COMMIT counts: the loop can do nothing else).
        loopActiveMs: performance.eventLoopUtilization().active,
      } satisfies FromWorker);
    if (m.op === 'close') {
      await server.close();
      port.postMessage({ op: 'closed' } satisfies FromWorker);
      port.close();
    }
  });
}

class ServerThread {
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
  ) {}

  static start(db: string, kind: ServerKind): Promise<ServerThread> {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { imspecBenchServer: true, db, kind } satisfies WorkerInput,
    });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: FromWorker) => {
        if (m.op === 'listening') resolve(new ServerThread(worker, m.url));
      });
    });
  }

  private ask<T extends FromWorker['op']>(message: ToWorker, op: T): Promise<Extract<FromWorker, { op: T }>> {
    return new Promise((resolve) => {
      const on = (m: FromWorker) => {
        if (m.op !== op) return;
        this.worker.off('message', on);
        resolve(m as Extract<FromWorker, { op: T }>);
      };
      this.worker.on('message', on);
      this.worker.postMessage(message);
    });
  }

  async stats(): Promise<{ commits: CommitStats; loopActiveMs: number }> {
    const { commits, loopActiveMs } = await this.ask({ op: 'stats' }, 'stats');
    return { commits, loopActiveMs };
  }

  async close(): Promise<void> {
    await this.ask({ op: 'close' }, 'closed');
    await this.worker.terminate();
  }
}

// ── client side ────────────────────────────────────────────────────────────────────────────

interface Sender {
  ws: WebSocket;
  user: string;
}

function connect(url: string, user: string): Promise<Sender> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['ran.1'], { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(
        JSON.stringify({ type: 'hello:R', rid: 'h', user, device: 'bench', token: hmacToken(SECRET, user) }),
      );
    });
    ws.once('message', (data) => {
      if (!String(data).startsWith('{"type":"hello:A"')) reject(new Error(`hello failed: ${String(data)}`));
      else resolve({ ws, user });
    });
  });
}

interface CellResult {
  senders: number;
  kind: ServerKind;
  rate: number;
  p50: number;
  p99: number;
  avgBatch: number;
  /** Per transaction: ms the server's loop spent committing, fsync included (blocked). */
  commitMs: number;
  /** µs of the server loop's busy time per answered message: what one core can serve. */
  loopUs: number;
}

/** Closed loop on every sender for `seconds`; counts msg:A after the warm-up. */
async function cell(senders: number, kind: ServerKind, seconds: number): Promise<CellResult> {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-bench-server-'));
  const server = await ServerThread.start(join(dir, 'bench.db'), kind);
  try {
    const clients = await Promise.all(
      Array.from({ length: senders }, (_, i) => connect(server.url, `s${i}`)),
    );
    const body = 'x'.repeat(64);
    const latencies: number[] = [];
    let counted = 0;
    let measuring = false;
    let stopping = false;
    let n = 0;
    const done = clients.map(
      (c, i) =>
        new Promise<void>((resolve) => {
          let sentAt = 0;
          const sendNext = () => {
            if (stopping) {
              resolve();
              return;
            }
            const k = n++;
            sentAt = performance.now();
            c.ws.send(`{"type":"msg:R","rid":"r${k}","cmid":"c${k}","to":"r${i}","body":"${body}"}`);
          };
          c.ws.on('message', (data) => {
            // Only msg:A answers; the stand-in ack:N that follows each one is not counted.
            if (!(data as Buffer).subarray(0, 16).toString().startsWith('{"type":"msg:A"')) return;
            if (measuring) {
              counted++;
              latencies.push(performance.now() - sentAt);
            }
            sendNext();
          });
          sendNext();
        }),
    );
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const before = await server.stats();
    measuring = true;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    const elapsed = performance.now() - start;
    const after = await server.stats();
    stopping = true;
    await Promise.all(done);
    for (const c of clients) c.ws.terminate();
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
    const transactions = after.commits.transactions - before.commits.transactions;
    return {
      senders,
      kind,
      rate: (counted / elapsed) * 1000,
      p50: q(0.5),
      p99: q(0.99),
      avgBatch: transactions > 0 ? (after.commits.operations - before.commits.operations) / transactions : 0,
      commitMs: transactions > 0 ? (after.commits.commitMs - before.commits.commitMs) / transactions : 0,
      loopUs: counted > 0 ? ((after.loopActiveMs - before.loopActiveMs) * 1000) / counted : 0,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mosquitto: the same closed loop, PUBLISH QoS 1 → PUBACK, counted after the same warm-up. */
async function mosquittoCell(port: number, senders: number, seconds: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: senders }, (_, i) =>
      mqttConnect(port, `bench-${i}-${Math.random().toString(36).slice(2)}`),
    ),
  );
  const payload = 'x'.repeat(64);
  let counted = 0;
  let measuring = false;
  let stopping = false;
  const done = clients.map(
    (c, i) =>
      new Promise<void>((resolve) => {
        let id = 0;
        const sendNext = () => {
          if (stopping) return resolve();
          id = (id % 65_535) + 1;
          c.publish(`bench/r${i}`, payload, id);
        };
        c.onAck(() => {
          if (measuring) counted++;
          sendNext();
        });
        sendNext();
      }),
  );
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = performance.now() - start;
  stopping = true;
  await Promise.all(done);
  for (const c of clients) c.close();
  return (counted / elapsed) * 1000;
}

// ── section ────────────────────────────────────────────────────────────────────────────────

/**
 * The bench section. For each sender count, rounds interleave group commit, one transaction per
 * request, and Mosquitto QoS 1; figures are medians of per-round ratios. The goal (durable server
 * ≥ Mosquitto QoS 1 acknowledged rate) is judged at the largest sender count: with one
 * closed-loop sender every accept waits for its own fsync, which no amount of batching can hide
 * and which Mosquitto, not syncing, never pays — that row is printed, not judged.
 */
export async function run(): Promise<void> {
  const s = settings();
  const broker = await startMosquitto();
  console.log(
    `server: durable accepts (msg:R → msg:A, WAL + synchronous=FULL) vs Mosquitto QoS 1 (PUBLISH → PUBACK, no fsync), closed-loop senders, ${s.seconds} s per cell, ${s.rounds} interleaved rounds, fresh database per cell`,
  );
  if (!broker)
    console.log(`  Mosquitto anchor skipped: ${MOSQUITTO} is not installed (apt-get install mosquitto)`);
  try {
    for (const senders of s.senders) {
      const grouped: CellResult[] = [];
      const single: CellResult[] = [];
      const floor: CellResult[] = [];
      const floorWs: CellResult[] = [];
      const mosquitto: number[] = [];
      for (let r = 0; r < s.rounds; r++) {
        grouped.push(await cell(senders, 'grouped', s.seconds));
        single.push(await cell(senders, 'single', s.seconds));
        floor.push(await cell(senders, 'floor-wire', s.seconds));
        floorWs.push(await cell(senders, 'floor-ws', s.seconds));
        if (broker) mosquitto.push(await mosquittoCell(broker.port, senders, s.seconds));
      }
      const rates = (rs: CellResult[]) => rs.map((r) => r.rate);
      const mid = (rs: CellResult[]) => [...rs].sort((a, b) => a.rate - b.rate)[rs.length >> 1]!;
      const lat = (r: CellResult) =>
        `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, server loop ${r.loopUs.toFixed(1)} µs/message`;
      const disk = (r: CellResult) => `commit (fsync included) ${r.commitMs.toFixed(2)} ms/transaction`;
      console.log(`  ${senders} sender${senders === 1 ? '' : 's'}`);
      console.log(
        `    group commit     ${fmtSpread(spread(rates(grouped)), '/s')}; median round ${lat(mid(grouped))}, avg batch ${mid(grouped).avgBatch.toFixed(1)}`,
      );
      console.log(`                     ${disk(mid(grouped))}`);
      // The closed loop's ceiling: every sender waits for its accept, and an accept for its
      // transaction's fsync, so a transaction holds at most `senders` messages. Printed so the
      // Mosquitto ratio below reads against what durability allows on this disk.
      const ceiling = (senders * 1000) / mid(grouped).commitMs;
      console.log(
        `                     ceiling ${senders} / ${mid(grouped).commitMs.toFixed(2)} ms ≈ ${Math.round(ceiling)}/s (at most ${senders} messages per fsync in a closed loop)`,
      );
      console.log(
        `    no group commit  ${fmtSpread(spread(rates(single)), '/s')}; median round ${lat(mid(single))}`,
      );
      console.log(`    ratio group/none ${fmtSpread(pairedRatio(rates(grouped), rates(single)), '×', 2)}`);
      console.log(
        `    floor (its wire) ${fmtSpread(spread(rates(floor)), '/s')}; median round ${lat(mid(floor))} — the server's own transport, answering without parsing or storing`,
      );
      console.log(
        `    floor (ws lib)   ${fmtSpread(spread(rates(floorWs)), '/s')}; median round ${lat(mid(floorWs))} — the same through the ws library's reader and sender`,
      );
      console.log(`    ratio durable/floor ${fmtSpread(pairedRatio(rates(grouped), rates(floor)), '×', 2)}`);
      if (broker) {
        const vs = pairedRatio(rates(grouped), mosquitto);
        console.log(`    Mosquitto QoS 1  ${fmtSpread(spread(mosquitto), '/s')}`);
        console.log(`    ratio durable/Mosquitto ${fmtSpread(vs, '×', 2)}`);
        console.log(
          `    ratio floor/Mosquitto ${fmtSpread(pairedRatio(rates(floor), mosquitto), '×', 2)} (the server's transport answering without work); ws library ${fmtSpread(pairedRatio(rates(floorWs), mosquitto), '×', 2)}`,
        );
        if (senders === Math.max(...s.senders))
          figure(
            atLeast(
              `durable server / Mosquitto QoS 1 acked rate (${senders} senders)`,
              vs.median,
              1,
              '×',
              2,
              pairedRatio(rates(floor), mosquitto).median,
            ),
          );
      }
    }
    if (!broker)
      figure({
        figure: 'durable server / Mosquitto QoS 1 acked rate',
        goal: '≥ 1.00×',
        now: 'no mosquitto',
        met: null,
      });
  } finally {
    await broker?.stop();
  }
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.imspecBenchServer) {
  await serverWorker(workerData as WorkerInput);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
