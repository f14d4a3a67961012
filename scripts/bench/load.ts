/**
 * Bench section "load": the load engine's own cost, against baselines measured in the same run
 * (medians of interleaved rounds; a shared machine moves absolute numbers, ratios less so).
 *
 * 1. Exchange rate: P sender/receiver pairs push N messages through the six-frame exchange
 *    (msg:R → msg:A, msg:N → ack:R → ack:A, ack:N delivered), each sender keeping a window of W
 *    unreceipted messages, against the embedded reference server (a child process, its own
 *    core). Bare: a `ws` client that parses each frame and does nothing else. Load: the load
 *    engine's bots (every client rule, the history events, the metric table fed from them) and,
 *    when this build has it, the streaming ledger judging every message. Goal ≥ 0.9.
 * 2. Memory per connected bot: C bare `ws` connections logged in (hello) against C load bots
 *    logged in, RSS and heap per connection after a full GC. Goal ≤ 1.5× bare.
 * 3. The streaming ledger alone: CPU µs per message (wall beside it, and the load average) and
 *    heap after GC at the end, at 1M and 10M messages of a synthetic clean exchange, fed one event
 *    at a time and never stored, each size in a fresh process; the generator's own CPU time
 *    (timed alone in the same process) is taken off, and what only keeping the events as long
 *    as the ledger does costs (no rules) is shown beside it. Goals: µs/message flat (10M within
 *    1.2× of 1M: linear total cost) and the heap at the end the same (within 1.2×: memory follows
 *    the messages in flight, not the run's length).
 *
 * Environment: IMSPEC_BENCH_LOAD_MESSAGES (20000), IMSPEC_BENCH_LOAD_PAIRS (20),
 * IMSPEC_BENCH_LOAD_WINDOW (64), IMSPEC_BENCH_ROUNDS (5), IMSPEC_BENCH_LOAD_BOTS (5000),
 * IMSPEC_BENCH_LEDGER_MESSAGES (1000000,10000000). For a quick run of section 1 alone,
 * IMSPEC_BENCH_LOAD_BOTS=0 skips section 2 and IMSPEC_BENCH_LEDGER_MESSAGES=0 skips section 3.
 */

import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { resolveClientOptions } from '../../src/bots/options.js';
import { DEFAULT_GRACE_MS, DEFAULT_SETTLE_MS } from '../../src/checker/engine.js';
import type { LedgerFactory, StreamLedger } from '../../src/checker/ledger-contract.js';
import { EventLog } from '../../src/checker/log.js';
import { graceFor } from '../../src/checker/owed.js';
import { quietFor } from '../../src/checker/retire.js';
import { createDriver } from '../../src/drivers/index.js';
import { UnsupportedError } from '../../src/errors.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { LoadBot } from '../../src/load/bot/load-bot.js';
import { AckBatcher, type LoadBotShared, RetransmitClock } from '../../src/load/bot/shared.js';
import { defaultLedger } from '../../src/load/default-ledger.js';
import { LatencyHistograms } from '../../src/load/latency.js';
import { LoadHistory } from '../../src/load/worker/load-history.js';
import { metricsListener } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { CAPS, type Limits } from '../../src/protocol/frames.js';
import { startEmbedded } from '../../src/runner/embedded.js';
import { atLeast, atMost, figure, pairedRatio } from './figures.js';

const SECRET = 'bench-load';
const LIMITS: Limits = {
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  syncLimitMax: 200,
  pushWindow: 100,
  repushMs: 2_000,
  dedupWindowMs: 86_400_000,
  helloTimeoutMs: 10_000,
  idleMs: 120_000,
};

const int = (name: string, fallback: number) => {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function ledgerFactory(): LedgerFactory | undefined {
  try {
    return defaultLedger();
  } catch (error) {
    if (error instanceof UnsupportedError) return undefined;
    throw error;
  }
}

// ── 1. exchange rate ──────────────────────────────────────────────────────────────────────

interface Exchange {
  pairs: number;
  messages: number;
  window: number;
}

function body(i: number): string {
  return `bench-${i.toString(36).padStart(8, '0')}-${'x'.repeat(17)}`;
}

function bareLogin(url: string, user: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'ran.1', { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.once('message', () => resolve(ws));
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
    });
  });
}

async function bareRound(url: string, x: Exchange, tag: string): Promise<number> {
  const pairs = await Promise.all(
    Array.from({ length: x.pairs }, async (_, p) => ({
      a: await bareLogin(url, `${tag}a${p}`),
      b: await bareLogin(url, `${tag}b${p}`),
      to: `${tag}b${p}`,
    })),
  );
  const perPair = Math.floor(x.messages / x.pairs);
  const start = performance.now();
  await Promise.all(
    pairs.map(
      ({ a, b, to }) =>
        new Promise<void>((resolve) => {
          let sent = 0;
          let delivered = 0;
          let rid = 0;
          let maxSeq = 0;
          let ackQueued = false;
          const pump = () => {
            while (sent < perPair && sent - delivered < x.window) {
              const i = sent++;
              a.send(JSON.stringify({ type: 'msg:R', rid: `r${++rid}`, cmid: `c${i}`, to, body: body(i) }));
            }
          };
          a.on('message', (data) => {
            const f = JSON.parse(data.toString()) as Record<string, unknown>;
            if (f.type === 'ack:N' && f.status === 'delivered') {
              if (++delivered === perPair) resolve();
              else pump();
            }
          });
          b.on('message', (data) => {
            const f = JSON.parse(data.toString()) as Record<string, unknown>;
            if (f.type !== 'msg:N') return;
            if (typeof f.seq === 'number' && f.seq > maxSeq) maxSeq = f.seq;
            if (!ackQueued) {
              ackQueued = true;
              queueMicrotask(() => {
                ackQueued = false;
                b.send(JSON.stringify({ type: 'ack:R', rid: `k${++rid}`, upTo: maxSeq }));
              });
            }
          });
          pump();
        }),
    ),
  );
  const ms = performance.now() - start;
  for (const p of pairs) {
    p.a.terminate();
    p.b.terminate();
  }
  return ((perPair * x.pairs) / ms) * 1000;
}

async function loadRound(
  url: string,
  x: Exchange,
  tag: string,
  ledger: LedgerFactory | undefined,
): Promise<number> {
  const history = new LoadHistory();
  history.startAt(Date.now());
  history.subscribe(
    metricsListener(createMetrics(new Registry()), { scenario: 'bench', driver: 'ran', suite: 'load' }),
  );
  let judge: StreamLedger | undefined;
  if (ledger) {
    const users: Record<string, string[]> = {};
    for (let p = 0; p < x.pairs; p++) {
      users[`${tag}a${p}`] = ['d1'];
      users[`${tag}b${p}`] = ['d1'];
    }
    const j = ledger({
      expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
      covers: [],
      users,
      caps: [],
      latency: new LatencyHistograms(),
    });
    judge = j;
    history.subscribe((e) => j.push(e));
  }
  // Retransmit timers far beyond the expected latency: the bench measures the exchange.
  const client = resolveClientOptions({ retransmitMs: 10_000, maxRetransmitMs: 20_000 });
  let settled = 0;
  let wake: ((bot: LoadBot) => void) | undefined;
  const shared: LoadBotShared = {
    history,
    driver: createDriver('ran', { target: url }),
    client,
    clock: new RetransmitClock(),
    acks: new AckBatcher(0),
    settled: (bot) => {
      settled++;
      wake?.(bot);
    },
    connection: () => {},
  };
  const pairs = Array.from({ length: x.pairs }, (_, p) => ({
    a: new LoadBot(shared, `${tag}a${p}`, 'd1', hmacToken(SECRET, `${tag}a${p}`), 0.5),
    b: new LoadBot(shared, `${tag}b${p}`, 'd1', hmacToken(SECRET, `${tag}b${p}`), 0.5),
  }));
  const pairOf = new Map(pairs.map((p, i) => [p.a, i]));
  await Promise.all(pairs.flatMap((p) => [p.a.connect(), p.b.connect()]));
  const perPair = Math.floor(x.messages / x.pairs);
  const total = perPair * x.pairs;
  const sent = new Array<number>(x.pairs).fill(0);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    // Refills one pair's window, as the bare client's per-pair pump does: a settled message
    // frees a place in its own sender's window only.
    const pump = (p: number) => {
      const { a } = pairs[p]!;
      while (sent[p]! < perPair && a.inFlight < x.window) {
        a.send(`${tag}b${p}`, body(sent[p]!), history.now());
        sent[p]!++;
      }
    };
    wake = (bot) => {
      if (settled >= total) resolve();
      else pump(pairOf.get(bot)!);
    };
    for (let p = 0; p < x.pairs; p++) pump(p);
  });
  let ms = performance.now() - start;
  if (judge) {
    const t0 = performance.now();
    judge.finish(history.now());
    ms += performance.now() - t0;
  }
  await Promise.all(pairs.flatMap((p) => [p.a.stop(), p.b.stop()]));
  return (total / ms) * 1000;
}

// ── 2. memory per connection ──────────────────────────────────────────────────────────────

function memory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (Node's process.memoryUsage): adding both counted
  // the ledger's Int32Array columns twice.
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

async function bareConnections(
  url: string,
  n: number,
  tag: string,
): Promise<{ rss: number; heap: number; up: number }> {
  const before = memory();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, k) =>
        bareLogin(url, `${tag}${i + k}`).catch(() => undefined),
      ),
    );
    for (const ws of batch) if (ws) sockets.push(ws);
  }
  const after = memory();
  for (const ws of sockets) ws.terminate();
  return {
    rss: (after.rss - before.rss) / sockets.length,
    heap: (after.heap - before.heap) / sockets.length,
    up: sockets.length,
  };
}

async function botConnections(
  url: string,
  n: number,
  tag: string,
): Promise<{ rss: number; heap: number; up: number }> {
  const before = memory();
  const history = new LoadHistory();
  history.subscribe(
    metricsListener(createMetrics(new Registry()), { scenario: 'bench', driver: 'ran', suite: 'load' }),
  );
  let up = 0;
  const shared: LoadBotShared = {
    history,
    driver: createDriver('ran', { target: url }),
    client: resolveClientOptions(),
    clock: new RetransmitClock(),
    acks: new AckBatcher(0),
    settled: () => {},
    connection: (_bot, isUp) => {
      up += isUp ? 1 : -1;
    },
  };
  const bots: LoadBot[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, (_, k) => {
      const user = `${tag}${i + k}`;
      return new LoadBot(shared, user, 'd1', hmacToken(SECRET, user), 0.5);
    });
    bots.push(...batch);
    await Promise.all(batch.map((b) => b.connect()));
  }
  const after = memory();
  const connected = up;
  await Promise.all(bots.map((b) => b.stop()));
  return {
    rss: (after.rss - before.rss) / connected,
    heap: (after.heap - before.heap) / connected,
    up: connected,
  };
}

// ── 3. the ledger alone ───────────────────────────────────────────────────────────────────

/**
 * The eight events of a clean exchange per message over 50 pairs (the checker bench's synthetic
 * history), generated one message at a time so ten million never sit in memory at once.
 */
function* cleanExchange(messages: number): Generator<HistoryEvent> {
  const pairs = 50;
  for (let p = 0; p < pairs * 2; p++) {
    const user = p < pairs ? `s${p}` : `r${p - pairs}`;
    const actor = `${user}/phone`;
    yield {
      kind: 'frame',
      t: 0,
      actor,
      conn: 1,
      dir: 'out',
      type: 'hello:R',
      fields: { rid: 'h', user, device: 'phone', token: 't', lastSeq: 0 },
      raw: '',
    };
    yield {
      kind: 'frame',
      t: 0,
      actor,
      conn: 1,
      dir: 'in',
      type: 'hello:A',
      fields: {
        rid: 'h',
        user,
        device: 'phone',
        maxSeq: 0,
        pending: 0,
        caps: [...CAPS],
        limits: LIMITS,
        serverTime: 0,
      },
      raw: '',
    };
    yield {
      kind: 'session',
      t: 0,
      actor,
      conn: 1,
      maxSeq: 0,
      pending: 0,
      caps: [...CAPS],
      limits: LIMITS,
      lastSeq: 0,
    };
  }
  let t = 0;
  for (let k = 0; k < messages; k++) {
    const p = k % pairs;
    const sender = `s${p}/phone`;
    const receiver = `r${p}/phone`;
    const from = `s${p}`;
    const to = `r${p}`;
    const seq = Math.floor(k / pairs) + 1;
    const cmid = `c${k}`;
    const smid = `m${k}`;
    const body = `body ${k}`;
    const rid = `q${seq}`;
    const ackRid = `a${seq}`;
    t += 0.01;
    yield { kind: 'send', t, actor: sender, cmid, to, body, scheduledT: t };
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'out',
      type: 'msg:R',
      fields: { rid, cmid, to, body },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'msg:A',
      fields: { rid, cmid, smid, ts: 1 },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'msg:N',
      fields: { smid, cmid, from, to, body, seq, prevSeq: seq - 1, ts: 1, attempt: 1 },
      raw: '',
    };
    yield { kind: 'commit', t, actor: receiver, smid, cmid, from, seq, body, via: 'push' };
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'out',
      type: 'ack:R',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'ack:A',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    };
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'ack:N',
      fields: { cmid, smid, to, status: 'delivered', ts: 1 },
      raw: '',
    };
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
  for (const e of cleanExchange(n)) sink += e.t;
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
  for (const e of cleanExchange(n)) {
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
  const users: Record<string, string[]> = {};
  for (let p = 0; p < 50; p++) {
    users[`s${p}`] = ['phone'];
    users[`r${p}`] = ['phone'];
  }
  const ledger = factory({
    expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
    covers: [],
    users,
    caps: [...CAPS],
    latency: new LatencyHistograms(),
  });
  const genUs = generatorCost(messages);
  const keepUs = keepCost(messages, genUs);
  // What the baseline kept goes before the ledger's clock starts.
  gc();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  let last = 0;
  for (const e of cleanExchange(messages)) {
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

/** Section 3: the ledger alone at each size; flat CPU per message and an end heap that does not grow. */
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

/** Section 2: memory per connected bot against a bare `ws` connection. */
async function memorySection(url: string, botsN: number): Promise<void> {
  // Each side in a fresh process of its own: RSS deltas in a process that already held and
  // freed ten thousand sockets say more about the allocator than about the sockets.
  const bareMem = await inChild('bare', url, botsN);
  const botMem = await inChild('bots', url, botsN);
  const kib = (v: number) => `${(v / 1024).toFixed(1)} KiB`;
  console.log(`  memory per connection, ${botsN} logged in, each side in its own process (after GC):`);
  console.log(
    `    bare ws          rss ${kib(bareMem.rss)}, heap+external ${kib(bareMem.heap)}  (${bareMem.up} up)`,
  );
  console.log(
    `    load bot         rss ${kib(botMem.rss)}, heap+external ${kib(botMem.heap)}  (${botMem.up} up)`,
  );
  console.log(
    `    ratio bot/bare   rss ${(botMem.rss / bareMem.rss).toFixed(2)}, heap ${(botMem.heap / bareMem.heap).toFixed(2)}  (goal ≤ 1.50)`,
  );
  figure(
    atMost(
      `load bot memory per connection / bare ws, rss (${botsN} bots)`,
      botMem.rss / bareMem.rss,
      1.5,
      '×',
      2,
    ),
  );
}

// ── section ───────────────────────────────────────────────────────────────────────────────

export async function run(): Promise<void> {
  const x: Exchange = {
    pairs: int('IMSPEC_BENCH_LOAD_PAIRS', 20),
    messages: int('IMSPEC_BENCH_LOAD_MESSAGES', 20_000),
    window: int('IMSPEC_BENCH_LOAD_WINDOW', 64),
  };
  const rounds = int('IMSPEC_BENCH_ROUNDS', 5);
  // 0 skips the memory section (a quick run of the exchange rate alone).
  const botsN = process.env.IMSPEC_BENCH_LOAD_BOTS === '0' ? 0 : int('IMSPEC_BENCH_LOAD_BOTS', 5000);
  const ledger = ledgerFactory();
  console.log(
    `load: ${x.messages} messages over ${x.pairs} pairs, window ${x.window}, median of ${rounds} interleaved rounds; server: embedded reference server (child process)`,
  );
  const server = await startEmbedded({ secret: SECRET, faults: [] });
  try {
    const bare: number[] = [];
    const load: number[] = [];
    for (let r = 0; r < rounds; r++) {
      bare.push(await bareRound(server.url, x, `x${r}`));
      load.push(await loadRound(server.url, x, `y${r}`, ledger));
    }
    const b = median(bare);
    const l = median(load);
    const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} msgs/s`;
    console.log(`  bare ws client     ${fmt(b)}   rounds: ${bare.map(Math.round).join(', ')}`);
    console.log(`  load engine        ${fmt(l)}   rounds: ${load.map(Math.round).join(', ')}`);
    // Median of per-round ratios: each load round is measured right after its bare round.
    const ratio = pairedRatio(load, bare).median;
    console.log(
      `  ratio load/bare    ${ratio.toFixed(2)}  (goal ≥ 0.90)${ledger ? '' : '  — bots, history events and metrics only: this build has no streaming ledger yet'}`,
    );
    figure(atLeast(`load engine exchange rate / bare ws (${x.pairs} pairs)`, ratio, 0.9));
    if (botsN > 0) await memorySection(server.url, botsN);
  } finally {
    await server.stop();
  }

  if (!ledger) {
    console.log(
      '  ledger µs/message: skipped — this build has no streaming ledger (src/checker StreamingLedger)',
    );
    return;
  }
  await ledgerSection();
}

interface MemoryResult {
  rss: number;
  heap: number;
  up: number;
}

/** Forks this file to hold `n` connections of one kind and report the memory they take. */
function inChild(kind: 'bare' | 'bots', url: string, n: number): Promise<MemoryResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--memory', kind, url, String(n)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as MemoryResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`memory child (${kind}) exited with ${code}`));
    });
  });
}

const memoryArgs = process.argv.indexOf('--memory');
const ledgerArgs = process.argv.indexOf('--ledger');
if (ledgerArgs > 0) {
  const factory = ledgerFactory();
  if (factory === undefined) throw new Error('this build has no streaming ledger');
  const r = ledgerRun(factory, Number(process.argv[ledgerArgs + 1]));
  // Run by hand (under --cpu-prof, say) there is no parent to tell.
  if (process.send) process.send(r, () => process.exit(0));
  else console.log(r);
} else if (memoryArgs > 0) {
  const [kind, url, n] = process.argv.slice(memoryArgs + 1) as [string, string, string];
  // Warm up: the first sockets pay for code and allocator pools, not per connection.
  const warm = kind === 'bare' ? bareConnections : botConnections;
  await warm(url, 200, `w${kind}`);
  const r = await warm(url, Number(n), `${kind}-`);
  process.send?.(r, () => process.exit(0));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
