/**
 * The load bench's second section: what one more connection costs, a bare `ws` connection logged
 * in (hello) against a load bot logged in, RSS and heap after a full GC, each population in a
 * fresh process of its own (this file, forked with `--memory KIND URL N`).
 *
 * The bots hold what a load worker holds in a steady run: the streaming ledger and the metric
 * listener subscribed as the worker subscribes them, the history's clock started (the worker
 * hands the logins' events on then), and MESSAGES messages sent, settled and retired — so the
 * ledger holds each device's state and has let go of the login events, as it does once a run's
 * first messages retire. What a run keeps per message retired (the keys of the last forgotten
 * messages, a bounded window whatever the population) is no cost of a connection: each kind runs
 * at two sizes with the same messages, and the figure is the difference over the difference in
 * connections. (Before, the bots ran without the ledger and with the login events held back:
 * that missed the ledger's per-device state and counted events a run frees.)
 *
 * Still counted and no steady cost of a connection: the logins' request waiters, which the shared
 * deadline lanes hold until their timeout passes and a spare pool (at most 4,096) keeps after,
 * ~150 B a bot in heap snapshots of 400 and 2,000 bots.
 */

import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import type WebSocket from 'ws';
import { resolveClientOptions } from '../../../src/bots/options.js';
import { createDriver } from '../../../src/drivers/index.js';
import { LoadBot } from '../../../src/load/bot/load-bot.js';
import { AckBatcher, type LoadBotShared, RetransmitClock } from '../../../src/load/bot/shared.js';
import { defaultLedger } from '../../../src/load/default-ledger.js';
import { LatencyHistograms } from '../../../src/load/latency.js';
import { LoadHistory } from '../../../src/load/worker/load-history.js';
import { metricsListener } from '../../../src/metrics/from-history.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { hmacToken } from '../../../src/protocol/auth.js';
import { DEFAULT_EXPECTATIONS } from '../../../src/scenarios/defaults.js';
import { atMost, figure, fmtSpread, pairedRatio, spread } from '../figures.js';
import { bareLogin, SECRET } from './exchange-rate.js';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

/** Heap (+ external) and RSS after two full GCs. */
export function memory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (Node's process.memoryUsage): adding both counted
  // the ledger's Int32Array columns twice.
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

/**
 * With IMSPEC_BENCH_MEMORY_SNAPSHOTS=DIR, each population writes a heap snapshot there once
 * measured (`bots-5000-PID.heapsnapshot`): comparing two sizes by constructor shows what one
 * more connection holds.
 */
function snapshot(name: string): void {
  const dir = process.env.IMSPEC_BENCH_MEMORY_SNAPSHOTS;
  if (dir) writeHeapSnapshot(join(dir, `${name}-${process.pid}.heapsnapshot`));
}

/** Messages each bot population sends before it is measured (the same at both sizes). */
const MESSAGES = 200;

/** What a population holds: heap (+ external) and RSS it added, and how many connections are up. */
interface MemoryResult {
  rss: number;
  heap: number;
  up: number;
}

async function bareConnections(url: string, n: number, tag: string): Promise<MemoryResult> {
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
  snapshot(`bare-${n}`);
  for (const ws of sockets) ws.terminate();
  return { rss: after.rss - before.rss, heap: after.heap - before.heap, up: sockets.length };
}

async function botConnections(url: string, n: number, tag: string): Promise<MemoryResult> {
  const before = memory();
  const history = new LoadHistory();
  const userOf = (i: number) => `${tag}${i}`;
  const users: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) users[userOf(i)] = ['d1'];
  const ledger = defaultLedger()({
    expect: { ...DEFAULT_EXPECTATIONS },
    covers: [],
    users,
    caps: [],
    latency: new LatencyHistograms(),
  });
  history.subscribe((e) => ledger.push(e));
  history.subscribe(
    metricsListener(createMetrics(new Registry()), { scenario: 'bench', driver: 'ran', suite: 'load' }),
  );
  let up = 0;
  let settled = 0;
  const shared: LoadBotShared = {
    history,
    driver: createDriver('ran', { target: url }),
    client: resolveClientOptions(),
    clock: new RetransmitClock(),
    acks: new AckBatcher(0),
    token: (user) => hmacToken(SECRET, user),
    settled: () => {
      settled++;
    },
    connection: (_bot, isUp) => {
      up += isUp ? 1 : -1;
    },
  };
  const bots: LoadBot[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, (_, k) => {
      const user = userOf(i + k);
      return new LoadBot(shared, user, 'd1', 0.5);
    });
    bots.push(...batch);
    await Promise.all(batch.map((b) => b.connect()));
  }
  history.startAt(Date.now());
  // Messages between the first bots, settled (receipt back), then retired as a run retires quiet
  // messages: the time given to retire() stands in for their quiet period.
  const m = Math.min(MESSAGES, bots.length - 1);
  for (let i = 0; i < m; i++) bots[i]!.send(userOf(i + 1), 'memory', history.now());
  const deadline = performance.now() + 30_000;
  while (settled < m && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ledger.retire(history.now() + 60_000);
  const after = memory();
  snapshot(`bots-${n}`);
  const connected = up;
  await Promise.all(bots.map((b) => b.stop()));
  return { rss: after.rss - before.rss, heap: after.heap - before.heap, up: connected };
}

/** What one more connection costs, from one round of a population at two sizes. */
type PerConnection = MemoryResult;

/** Per connection: the bigger population's memory over the smaller's, by the connections added. */
function perConnection(small: MemoryResult, big: MemoryResult): PerConnection {
  const added = big.up - small.up;
  return { rss: (big.rss - small.rss) / added, heap: (big.heap - small.heap) / added, up: big.up };
}

/**
 * Section 2: memory per connected bot against a bare `ws` connection, the median of `rounds`
 * interleaved rounds (bare then bots in each, four fresh processes a round). One measurement per
 * population gave RSS ratios of 1.39, 1.95 and 1.20 in three runs of the same code: RSS moves
 * with when the allocator hands pages back, so a single round says as much about the allocator
 * as about a connection. The ratio is the median of each round's bots over that round's bare
 * (paired: a round's neighbours load both alike), min and max beside it.
 */
export async function memorySection(url: string, botsN: number, rounds: number): Promise<void> {
  // Each population in a fresh process of its own: RSS deltas in a process that already held and
  // freed ten thousand sockets say more about the allocator than about the sockets.
  const smallN = Math.max(MESSAGES + 1, Math.round(botsN / 5));
  const bare: PerConnection[] = [];
  const bots: PerConnection[] = [];
  for (let r = 0; r < rounds; r++) {
    bare.push(perConnection(await inChild('bare', url, smallN), await inChild('bare', url, botsN)));
    bots.push(perConnection(await inChild('bots', url, smallN), await inChild('bots', url, botsN)));
  }
  const kib = (xs: PerConnection[], key: 'rss' | 'heap') =>
    fmtSpread(spread(xs.map((x) => x[key] / 1024)), ' KiB', 1);
  const up = (xs: PerConnection[]) => Math.min(...xs.map((x) => x.up));
  console.log(
    `  memory per connection, ${smallN} → ${botsN} logged in (the difference), each population in its own process (after GC), median of ${rounds} interleaved rounds:`,
  );
  console.log(
    `    bare ws          rss ${kib(bare, 'rss')}, heap+external ${kib(bare, 'heap')}  (≥ ${up(bare)} up)`,
  );
  console.log(
    `    load bot         rss ${kib(bots, 'rss')}, heap+external ${kib(bots, 'heap')}  (≥ ${up(bots)} up; ledger and metrics subscribed, ${MESSAGES} messages retired)`,
  );
  const rssRatio = pairedRatio(
    bots.map((x) => x.rss),
    bare.map((x) => x.rss),
  );
  const heapRatio = pairedRatio(
    bots.map((x) => x.heap),
    bare.map((x) => x.heap),
  );
  console.log(
    `    ratio bot/bare   rss ${fmtSpread(rssRatio, '', 2)}, heap ${fmtSpread(heapRatio, '', 2)}  (goal rss ≤ 1.50)`,
  );
  figure(
    atMost(`load bot memory per connection / bare ws, rss (${botsN} bots)`, rssRatio.median, 1.5, '×', 2),
  );
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

// A child of memorySection: holds the connections and reports (run as the main module only).
if (process.argv[2] === '--memory' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind, url, n] = process.argv.slice(3) as [string, string, string];
  // Warm up: the first sockets pay for code and allocator pools, not per connection.
  const warm = kind === 'bare' ? bareConnections : botConnections;
  // Users of their own per process: the server keeps each user's inbox, and another population's
  // messages must not wait for these bots at login.
  await warm(url, 200, `w${kind}${process.pid}-`);
  const r = await warm(url, Number(n), `${kind}${process.pid}-`);
  process.send?.(r, () => process.exit(0));
}
