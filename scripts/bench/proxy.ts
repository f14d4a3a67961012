/**
 * Bench section "proxy": the cost of the frame-aware fault proxy with no rules (src/faults/ws-proxy.ts),
 * measured against a direct connection in the same run (docs/architecture.md; goals from the fault
 * injection issue):
 *
 * - throughput: messages/s of a bare ws client keeping a window of messages in flight, through
 *   the proxy vs direct — on a ws echo target (the proxy's cost at its most visible) and on the
 *   reference server (msg:R → msg:A). Goal: ratio ≥ 0.8.
 * - latency: one message in flight at a time, round trips through the proxy vs direct on the echo
 *   target; a round trip crosses the proxy twice, so the added latency per frame is half the
 *   difference of the medians. Goal: ≤ 100 µs.
 *
 * The target runs in a child process, as a real target would; the client and the proxy share
 * this process, as the runner's bots and proxy will. Rounds alternate (direct, proxied, …) so
 * drift hits both; the best round of each counts.
 *
 * Environment: IMSPEC_BENCH_MESSAGES (default 50000), IMSPEC_BENCH_WINDOW (default 1000),
 * IMSPEC_BENCH_ROUNDS (default 3), IMSPEC_BENCH_ROUNDTRIPS (default 5000).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startWsProxy } from '../../src/faults/ws-proxy.js';
import { hmacToken } from '../../src/protocol/auth.js';

interface Settings {
  messages: number;
  window: number;
  rounds: number;
  roundTrips: number;
}

function settings(): Settings {
  const int = (name: string, fallback: number) => {
    const v = Number.parseInt(process.env[name] ?? '', 10);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    messages: int('IMSPEC_BENCH_MESSAGES', 50_000),
    window: int('IMSPEC_BENCH_WINDOW', 1000),
    rounds: int('IMSPEC_BENCH_ROUNDS', 3),
    roundTrips: int('IMSPEC_BENCH_ROUNDTRIPS', 5000),
  };
}

// ── targets, each in its own process ─────────────────────────────────────────────────────

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET = 'bench';

const ECHO_TARGET = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
wss.on('listening', () => console.log('PORT ' + wss.address().port));
`;

function serverTarget(db: string): string {
  const entry = pathToFileURL(join(ROOT, 'dist/src/server/index.js')).href;
  return `
import { startServer } from ${JSON.stringify(entry)};
const server = await startServer({ port: 0, db: ${JSON.stringify(db)}, hmacSecret: ${JSON.stringify(SECRET)} });
console.log('PORT ' + server.port);
`;
}

interface Target {
  url: string;
  stop(): Promise<void>;
}

async function startTarget(source: string): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench target exited with code ${code} before listening`)));
    lines.on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/**
 * A rule that never fires (the bench sends no hello): the proxy takes its rules path — every
 * frame parsed, decoded, validated and matched — without injecting anything.
 */
const IDLE_RULES = resolveFaultRules([{ match: { user: 'nobody' }, action: 'drop' }]);

/**
 * Runs `fn` against the target directly, through a rule-less proxy, and (when `idle`) through a
 * proxy whose one rule never fires.
 */
async function viaBoth<T>(
  target: Target,
  fn: (url: string) => Promise<T>,
  idle = false,
): Promise<{ direct: T; proxied: T; idle?: T }> {
  const direct = await fn(target.url);
  const proxy = await startWsProxy({ upstream: target.url });
  let proxied: T;
  try {
    proxied = await fn(proxy.url);
  } finally {
    await proxy.close();
  }
  if (!idle) return { direct, proxied };
  const withRule = await startWsProxy({ upstream: target.url, rules: IDLE_RULES });
  try {
    return { direct, proxied, idle: await fn(withRule.url) };
  } finally {
    await withRule.close();
  }
}

function open(url: string, protocol?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => resolve(ws));
  });
}

// ── measurements ─────────────────────────────────────────────────────────────────────────

/** Echo target: `messages` frames with `window` in flight; messages per second. */
async function echoThroughput(url: string, s: Settings): Promise<number> {
  const ws = await open(url);
  const frame = JSON.stringify({ type: 'ping:R', rid: 'r-0000000000' });
  let sent = 0;
  let received = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < s.messages && sent - received < s.window) {
        ws.send(frame);
        sent++;
      }
    };
    ws.on('message', () => {
      if (++received === s.messages) resolve();
      else pump();
    });
    pump();
  });
  const rate = (s.messages / (performance.now() - start)) * 1000;
  ws.terminate();
  return rate;
}

/** Reference server: alice sends `messages` msg:R with `window` unanswered; msg:A per second. */
async function serverThroughput(url: string, s: Settings, round: number): Promise<number> {
  const ws = await open(url, 'ran.1');
  const user = `alice${round}-${Math.random().toString(36).slice(2, 8)}`;
  const helloA = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(JSON.stringify({ type: 'hello:R', rid: 'h', user, device: 'd1', token: hmacToken(SECRET, user) }));
  await helloA;
  let sent = 0;
  let accepted = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < s.messages && sent - accepted < s.window) {
        const i = sent++;
        ws.send(
          JSON.stringify({ type: 'msg:R', rid: `r${i}`, cmid: `c${i}`, to: 'bob', body: `bench-${i}` }),
        );
      }
    };
    ws.on('message', (data: Buffer) => {
      // Only msg:A counts; the stand-in ack:N receipts (bob is offline) ride along.
      if (data.includes('"msg:A"') && ++accepted === s.messages) resolve();
      else pump();
    });
    pump();
  });
  const rate = (s.messages / (performance.now() - start)) * 1000;
  ws.terminate();
  return rate;
}

/** Echo target: sequential round trips; returns each one's duration in microseconds. */
async function roundTrips(url: string, s: Settings): Promise<number[]> {
  const ws = await open(url);
  const frame = JSON.stringify({ type: 'ping:R', rid: 'r-0000000000' });
  const samples: number[] = [];
  const warmup = Math.min(1000, s.roundTrips);
  await new Promise<void>((resolve) => {
    let t = 0;
    let n = 0;
    ws.on('message', () => {
      if (n++ >= warmup) samples.push((performance.now() - t) * 1000);
      if (samples.length === s.roundTrips) return resolve();
      t = performance.now();
      ws.send(frame);
    });
    t = performance.now();
    ws.send(frame);
  });
  ws.terminate();
  return samples;
}

function roundList(rates: readonly number[]): string {
  return rates.map((r) => `${Math.round(r / 1000)}k`).join(', ');
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// ── section ──────────────────────────────────────────────────────────────────────────────

/** The bench section: prints direct and proxied rates, their ratios, and the added latency. */
export async function run(): Promise<void> {
  const s = settings();
  const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} msgs/s`;
  const verdict = (ok: boolean) => (ok ? '' : '  BELOW GOAL');
  console.log(
    `proxy: fault proxy with no rules vs direct; ${s.messages} messages, window ${s.window}, best of ${s.rounds} rounds; ${s.roundTrips} round trips`,
  );

  const echo = await startTarget(ECHO_TARGET);
  try {
    const direct: number[] = [];
    const proxied: number[] = [];
    const idle: number[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const both = await viaBoth(echo, (url) => echoThroughput(url, s), true);
      direct.push(both.direct);
      proxied.push(both.proxied);
      idle.push(both.idle!);
    }
    const d = Math.max(...direct);
    const p = Math.max(...proxied);
    const i = Math.max(...idle);
    console.log(`  echo target      direct ${fmt(d)}   via proxy ${fmt(p)}`);
    console.log(`                   rounds: direct ${roundList(direct)}; via proxy ${roundList(proxied)}`);
    console.log(`                   ratio ${(p / d).toFixed(2)}  (goal ≥ 0.80)${verdict(p / d >= 0.8)}`);
    console.log(
      `                   with one idle rule (every frame decoded and matched): ${fmt(i)}, ratio ${(i / d).toFixed(2)} (informative)`,
    );

    const rt = await viaBoth(echo, (url) => roundTrips(url, s));
    const dm = quantile(
      rt.direct.sort((a, b) => a - b),
      0.5,
    );
    const pm = quantile(
      rt.proxied.sort((a, b) => a - b),
      0.5,
    );
    const d99 = quantile(rt.direct, 0.99);
    const p99 = quantile(rt.proxied, 0.99);
    const perFrame = (pm - dm) / 2;
    console.log(
      `  round trip       direct median ${dm.toFixed(0)} µs (p99 ${d99.toFixed(0)})   via proxy median ${pm.toFixed(0)} µs (p99 ${p99.toFixed(0)})`,
    );
    console.log(
      `  added per frame  ${perFrame.toFixed(0)} µs median  (goal ≤ 100 µs)${verdict(perFrame <= 100)}`,
    );
  } finally {
    await echo.stop();
  }

  const dir = mkdtempSync(join(tmpdir(), 'imspec-bench-proxy-'));
  const server = await startTarget(serverTarget(join(dir, 'bench.db')));
  try {
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const both = await viaBoth(server, (url) => serverThroughput(url, s, r));
      direct.push(both.direct);
      proxied.push(both.proxied);
    }
    const d = Math.max(...direct);
    const p = Math.max(...proxied);
    console.log(`  reference server direct ${fmt(d)}   via proxy ${fmt(p)}   (msg:R → msg:A)`);
    console.log(`                   rounds: direct ${roundList(direct)}; via proxy ${roundList(proxied)}`);
    console.log(`                   ratio ${(p / d).toFixed(2)}  (goal ≥ 0.80)${verdict(p / d >= 0.8)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
