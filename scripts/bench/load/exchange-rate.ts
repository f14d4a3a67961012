/**
 * The load bench's first section: P sender/receiver pairs push N messages through the six-frame
 * exchange (msg:R → msg:A, msg:N → ack:R → ack:A, ack:N delivered), each sender keeping a window
 * of W unreceipted messages, against one server. Bare: a `ws` client that parses each frame and
 * does nothing else. Load: the load engine's bots (every client rule, the history events, the
 * metric table fed from them) and, when this build has it, the streaming ledger judging every
 * message. Rounds alternate, and the figure is the median of each load round over the bare
 * round just before it.
 */

import { Registry } from 'prom-client';
import type WebSocket from 'ws';
import { resolveClientOptions } from '../../../src/bots/options.js';
import type { LedgerFactory, StreamLedger } from '../../../src/checker/ledger-contract.js';
import { createDriver } from '../../../src/drivers/index.js';
import { LoadBot } from '../../../src/load/bot/load-bot.js';
import { AckBatcher, type LoadBotShared, RetransmitClock } from '../../../src/load/bot/shared.js';
import { LatencyHistograms } from '../../../src/load/latency.js';
import { LoadHistory } from '../../../src/load/worker/load-history.js';
import { metricsListener } from '../../../src/metrics/from-history.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { hmacToken } from '../../../src/protocol/auth.js';
import { ackCumulatively, bareLoggedIn, exchangeBody } from '../bare-login.js';
import { atLeast, figure, pairedRatio, processCpuUs } from '../figures.js';
import { bestRateRatio, printKitFloor } from '../kit-floor.js';

/** The embedded server's HMAC secret for the whole bench. */
export const SECRET = 'bench-load';

export interface Exchange {
  pairs: number;
  messages: number;
  window: number;
}

/** Logs a bare `ws` client in (hello:R, the first answer). */
export function bareLogin(url: string, user: string): Promise<WebSocket> {
  return bareLoggedIn(url, user, SECRET);
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
          const pump = () => {
            while (sent < perPair && sent - delivered < x.window) {
              const i = sent++;
              a.send(
                JSON.stringify({ type: 'msg:R', rid: `r${++rid}`, cmid: `c${i}`, to, body: exchangeBody(i) }),
              );
            }
          };
          a.on('message', (data) => {
            const f = JSON.parse(data.toString()) as Record<string, unknown>;
            if (f.type === 'ack:N' && f.status === 'delivered') {
              if (++delivered === perPair) resolve();
              else pump();
            }
          });
          ackCumulatively(b);
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

async function loadRound(url: string, x: Exchange, tag: string, parts: Parts): Promise<number> {
  const { ledger } = parts;
  const history = new LoadHistory();
  history.startAt(Date.now());
  if (parts.metrics) {
    history.subscribe(
      metricsListener(createMetrics(new Registry()), { scenario: 'bench', driver: 'ran', suite: 'load' }),
    );
  }
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
    token: (user) => hmacToken(SECRET, user),
    settled: (bot) => {
      settled++;
      wake?.(bot);
    },
    connection: () => {},
  };
  const pairs = Array.from({ length: x.pairs }, (_, p) => ({
    a: new LoadBot(shared, `${tag}a${p}`, 'd1', 0.5),
    b: new LoadBot(shared, `${tag}b${p}`, 'd1', 0.5),
    // Built once per pair, as the bare round's `to` and the runtime's recipients are.
    to: `${tag}b${p}`,
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
      const { a, to } = pairs[p]!;
      while (sent[p]! < perPair && a.inFlight < x.window) {
        a.send(to, exchangeBody(sent[p]!), history.now());
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

/**
 * What a load round runs besides the bots and their history events. The figure's load rounds run
 * all of it; the breakdown's leave parts out, to show where the engine's time goes.
 */
interface Parts {
  metrics: boolean;
  ledger: LedgerFactory | undefined;
}

/**
 * One kind of round: its rates, this process's CPU per message and the server's (login and
 * teardown included).
 */
class Side {
  readonly rates: number[] = [];
  readonly cpu: number[] = [];
  readonly serverCpu: number[] = [];

  constructor(readonly label: string) {}

  async run(messages: number, server: number | undefined, round: () => Promise<number>): Promise<void> {
    const s0 = processCpuUs(server);
    const c0 = process.cpuUsage();
    this.rates.push(await round());
    const c = process.cpuUsage(c0);
    const s1 = processCpuUs(server);
    this.cpu.push((c.user + c.system) / messages);
    if (s0 !== undefined && s1 !== undefined) this.serverCpu.push((s1 - s0) / messages);
  }

  print(): void {
    const rate = `${Math.round(median(this.rates)).toLocaleString('en-US')} msgs/s`;
    const server = this.serverCpu.length > 0 ? `, server ${median(this.serverCpu).toFixed(1)}` : '';
    console.log(
      `  ${this.label.padEnd(34)} ${rate.padStart(14)}   CPU µs/message: client ${median(this.cpu).toFixed(1)}${server}   rounds: ${this.rates.map(Math.round).join(', ')}`,
    );
  }
}

/**
 * Section 1: `rounds` interleaved bare and load rounds against the server at `url` (process
 * `serverPid`, whose CPU per message is shown beside the client's). With
 * IMSPEC_BENCH_LOAD_BREAKDOWN=1 each round also runs the load engine without the ledger, and
 * without the ledger and the metrics (printed only: the figure compares the whole engine).
 */
export async function exchangeSection(
  url: string,
  serverPid: number | undefined,
  x: Exchange,
  rounds: number,
  ledger: LedgerFactory | undefined,
): Promise<void> {
  const messages = Math.floor(x.messages / x.pairs) * x.pairs;
  const bare = new Side('bare ws client');
  const load = new Side('load engine');
  const breakdown = process.env.IMSPEC_BENCH_LOAD_BREAKDOWN === '1' && ledger !== undefined;
  const noLedger = new Side('load engine without the ledger');
  const bareEngine = new Side('load engine without ledger, metrics');
  for (let r = 0; r < rounds; r++) {
    await bare.run(messages, serverPid, () => bareRound(url, x, `x${r}`));
    await load.run(messages, serverPid, () => loadRound(url, x, `y${r}`, { metrics: true, ledger }));
    if (!breakdown) continue;
    await noLedger.run(messages, serverPid, () =>
      loadRound(url, x, `z${r}`, { metrics: true, ledger: undefined }),
    );
    await bareEngine.run(messages, serverPid, () =>
      loadRound(url, x, `v${r}`, { metrics: false, ledger: undefined }),
    );
  }
  for (const side of breakdown ? [bare, load, noLedger, bareEngine] : [bare, load]) side.print();
  // Median of per-round ratios: each load round is measured right after its bare round.
  const ratio = pairedRatio(load.rates, bare.rates).median;
  console.log(
    `  ratio load/bare    ${ratio.toFixed(2)}  (goal ≥ 0.90)${ledger ? '' : '  — bots, history events and metrics only: this build has no streaming ledger yet'}`,
  );
  const bareUs = median(bare.cpu);
  const serverUs = bare.serverCpu.length > 0 ? median(bare.serverCpu) : undefined;
  // With client and server sharing the cores, rates compare as their CPU sums per message:
  // (bare + server) / (load + server) ≥ 0.9 leaves the load engine (bare + server)/0.9 − server.
  // Without the server's CPU (no /proc) the room is counted as if the server cost nothing.
  const srv = serverUs ?? 0;
  const floorUs = printKitFloor(
    FLOOR_MESSAGES,
    rounds,
    (bareUs + srv) / 0.9 - srv - bareUs,
    `a 0.9× rate, with the bare client at ${bareUs.toFixed(1)} and the server at ${serverUs === undefined ? 'n/a' : serverUs.toFixed(1)} µs/message on shared cores, leaves`,
  );
  const rateFloor = bestRateRatio(bareUs, serverUs, floorUs);
  figure(atLeast(`load engine exchange rate / bare ws (${x.pairs} pairs)`, ratio, 0.9, '×', 2, rateFloor));
}

/** Messages of the kit floor: its rounds in a second or so, at a size where µs/message is steady. */
const FLOOR_MESSAGES = 100_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
