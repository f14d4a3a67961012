/**
 * Bench section "proxy": the cost of the frame-aware fault proxy (src/faults/ws-proxy.ts) against
 * a direct connection in the same run, on two paths: the rule path (one rule that never fires, so
 * every frame is decoded, validated and matched — what every fault scenario takes; the headline)
 * and the raw pipe (no rules; informative). Goals: throughput ≥ 0.9× direct, ≤ 50 µs added per
 * frame.
 *
 * - throughput: messages/s of a bare ws client keeping a window of messages in flight, on a ws
 *   echo target (the proxy's cost at its most visible) and on the reference server (msg:R → msg:A);
 * - latency: one message in flight at a time on the echo target; a round trip crosses the proxy
 *   twice, so the added latency per frame is half the difference of the medians.
 *
 * The target runs in a child process, as a real target would; the client and the proxy share
 * this process, as the runner's bots and proxy do. Rounds interleave (direct, pipe, rules, …) so
 * drift hits all three; figures are medians of per-round ratios, with min and max.
 *
 * Environment: IMSPEC_BENCH_MESSAGES (default 50000), IMSPEC_BENCH_WINDOW (default 1000),
 * IMSPEC_BENCH_ROUNDS (default 5), IMSPEC_BENCH_ROUNDTRIPS (default 3000).
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
import { atLeast, atMost, envInt, figure, fmtSpread, pairedRatio, spread } from './figures.js';

interface Settings {
  messages: number;
  window: number;
  rounds: number;
  roundTrips: number;
}

function settings(): Settings {
  return {
    messages: envInt('IMSPEC_BENCH_MESSAGES', 50_000),
    window: envInt('IMSPEC_BENCH_WINDOW', 1000),
    rounds: envInt('IMSPEC_BENCH_ROUNDS', 5),
    roundTrips: envInt('IMSPEC_BENCH_ROUNDTRIPS', 3000),
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

type Path = 'direct' | 'pipe' | 'rules';
const PATHS: readonly Path[] = ['direct', 'pipe', 'rules'];

/**
 * Runs `fn` against the target directly, through a rule-less proxy (a raw pipe), and through a
 * proxy whose one rule never fires (the rule path: every frame decoded, validated and matched —
 * what every fault scenario takes), back to back.
 */
async function viaEach<T>(target: Target, fn: (url: string) => Promise<T>): Promise<Record<Path, T>> {
  const direct = await fn(target.url);
  const pipe = await startWsProxy({ upstream: target.url });
  let piped: T;
  try {
    piped = await fn(pipe.url);
  } finally {
    await pipe.close();
  }
  const withRule = await startWsProxy({ upstream: target.url, rules: IDLE_RULES });
  try {
    return { direct, pipe: piped, rules: await fn(withRule.url) };
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

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Rates of rounds per path, then their paired ratios against direct. */
function throughputTable(title: string, rounds: Record<Path, number>[]): Record<'pipe' | 'rules', number> {
  const of = (p: Path) => rounds.map((r) => r[p]);
  console.log(`  ${title}`);
  for (const p of PATHS) console.log(`    ${p.padEnd(7)} ${fmtSpread(spread(of(p)), ' msgs/s')}`);
  const pipe = pairedRatio(of('pipe'), of('direct'));
  const rules = pairedRatio(of('rules'), of('direct'));
  console.log(`    ratio   rule path ${fmtSpread(rules, '×', 2)}; raw pipe ${fmtSpread(pipe, '×', 2)}`);
  return { pipe: pipe.median, rules: rules.median };
}

// ── section ──────────────────────────────────────────────────────────────────────────────

/**
 * The bench section. Goals (docs/faults.md): throughput through the proxy ≥ 0.9× direct and
 * ≤ 50 µs added per frame, on the rule path as the headline (the raw pipe is informative).
 */
export async function run(): Promise<void> {
  const s = settings();
  console.log(
    `proxy: fault proxy vs direct; ${s.messages} messages, window ${s.window}, ${s.rounds} interleaved rounds (direct, raw pipe, rule path); ${s.roundTrips} round trips`,
  );

  const echo = await startTarget(ECHO_TARGET);
  try {
    const rounds: Record<Path, number>[] = [];
    for (let r = 0; r < s.rounds; r++) rounds.push(await viaEach(echo, (url) => echoThroughput(url, s)));
    const echoRatio = throughputTable('echo target (the proxy at its most visible)', rounds);
    figure(atLeast('proxy rule path / direct, echo target', echoRatio.rules, 0.9));
    figure(atLeast('proxy raw pipe / direct, echo target', echoRatio.pipe, 0.9));

    // Latency: medians of each round's median, so one noisy round does not decide.
    const added: Record<'pipe' | 'rules', number[]> = { pipe: [], rules: [] };
    const medians: Record<Path, number[]> = { direct: [], pipe: [], rules: [] };
    for (let r = 0; r < s.rounds; r++) {
      const rt = await viaEach(echo, (url) => roundTrips(url, s));
      const m = (p: Path) =>
        quantile(
          rt[p].sort((x, y) => x - y),
          0.5,
        );
      for (const p of PATHS) medians[p].push(m(p));
      // A round trip crosses the proxy twice: the added latency per frame is half the difference.
      added.pipe.push((m('pipe') - m('direct')) / 2);
      added.rules.push((m('rules') - m('direct')) / 2);
    }
    console.log('  round trip, one message in flight (median per round, then over rounds)');
    for (const p of PATHS) console.log(`    ${p.padEnd(7)} ${fmtSpread(spread(medians[p]), ' µs')}`);
    const rules = spread(added.rules);
    console.log(
      `    added per frame: rule path ${fmtSpread(rules, ' µs')}; raw pipe ${fmtSpread(spread(added.pipe), ' µs')}`,
    );
    figure(atMost('proxy added latency per frame, rule path', rules.median, 50, ' µs'));
  } finally {
    await echo.stop();
  }

  const dir = mkdtempSync(join(tmpdir(), 'imspec-bench-proxy-'));
  const server = await startTarget(serverTarget(join(dir, 'bench.db')));
  try {
    const rounds: Record<Path, number>[] = [];
    for (let r = 0; r < s.rounds; r++)
      rounds.push(await viaEach(server, (url) => serverThroughput(url, s, r)));
    const ratio = throughputTable('reference server (msg:R → msg:A)', rounds);
    figure(atLeast('proxy rule path / direct, reference server', ratio.rules, 0.9));
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
