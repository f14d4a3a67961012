/**
 * The load bench's second section: C bare `ws` connections logged in (hello) against C load bots
 * logged in, RSS and heap per connection after a full GC, each side in a fresh process of its
 * own (this file, forked with `--memory KIND URL N`).
 */

import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import type WebSocket from 'ws';
import { resolveClientOptions } from '../../../src/bots/options.js';
import { createDriver } from '../../../src/drivers/index.js';
import { LoadBot } from '../../../src/load/bot/load-bot.js';
import { AckBatcher, type LoadBotShared, RetransmitClock } from '../../../src/load/bot/shared.js';
import { LoadHistory } from '../../../src/load/worker/load-history.js';
import { metricsListener } from '../../../src/metrics/from-history.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { hmacToken } from '../../../src/protocol/auth.js';
import { atMost, figure } from '../figures.js';
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

/** Section 2: memory per connected bot against a bare `ws` connection. */
export async function memorySection(url: string, botsN: number): Promise<void> {
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

// A child of memorySection: holds the connections and reports (run as the main module only).
if (process.argv[2] === '--memory' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind, url, n] = process.argv.slice(3) as [string, string, string];
  // Warm up: the first sockets pay for code and allocator pools, not per connection.
  const warm = kind === 'bare' ? bareConnections : botConnections;
  await warm(url, 200, `w${kind}`);
  const r = await warm(url, Number(n), `${kind}-`);
  process.send?.(r, () => process.exit(0));
}
