/**
 * The bots section's second series: the same six-frame exchange with 10, 1,000 and 10,000 bots
 * (half senders, half receivers, in pairs), so a cost that grows with the number of bots — a map
 * or timer per connection walked per message, a listener per bot — shows as a ratio falling
 * along the series. The messages are spread over the pairs (at least 4 each), each sender keeping
 * a window of unaccepted messages; everything a bots round runs in the messages series runs here
 * too (validation, one history for all bots, the metrics fed from it, the checker at the end,
 * its time included). Both sides log their population in before the clock starts, a few hundred
 * connections at a time, and every round starts on fresh users.
 *
 * Environment: IMSPEC_BENCH_BOTS_COUNTS (default "10,1000,10000"), IMSPEC_BENCH_POPULATION_MESSAGES
 * (default 20000), and the bots section's IMSPEC_BENCH_WINDOW and IMSPEC_BENCH_ROUNDS.
 */

import { Registry } from 'prom-client';
import { Bot } from '../../src/bots/bot.js';
import { resolveClientOptions } from '../../src/bots/options.js';
import { type CheckResult, check } from '../../src/checker/index.js';
import { createDriver } from '../../src/drivers/index.js';
import { History } from '../../src/history/events.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { hmacToken } from '../../src/protocol/auth.js';
import type { Cap } from '../../src/protocol/frames.js';
import { ackCumulatively, bareLogin, exchangeBody } from './bare-login.js';
import { cpuMsSince, envInt, fmtSpread, pairedRatio, type Spread, spread } from './figures.js';

/** Connections opened at once while a population logs in (the server's accept backlog is 511). */
const LOGIN_BATCH = 250;

export interface PopulationSettings {
  counts: number[];
  messages: number;
  window: number;
  rounds: number;
}

export function populationSettings(window: number, rounds: number): PopulationSettings {
  const counts = (process.env.IMSPEC_BENCH_BOTS_COUNTS ?? '10,1000,10000')
    .split(',')
    .map(Number)
    // Pairs: an even count of at least 2; 18,000 keeps the client under this machine's 20,000 descriptors.
    .filter((n) => Number.isInteger(n) && n >= 2 && n % 2 === 0 && n <= 18_000);
  return {
    counts: counts.length > 0 ? counts : [10, 1000, 10_000],
    messages: envInt('IMSPEC_BENCH_POPULATION_MESSAGES', 20_000),
    window,
    rounds,
  };
}

interface Side {
  rate: number;
  cpuMs: number;
  /** Of cpuMs, the checker's (bots only). */
  checkMs: number;
}

/** `fn` over 0…n-1, at most LOGIN_BATCH at a time. */
async function inBatches<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += LOGIN_BATCH) {
    out.push(
      ...(await Promise.all(Array.from({ length: Math.min(LOGIN_BATCH, n - i) }, (_, k) => fn(i + k)))),
    );
  }
  return out;
}

/** The checker over a bots round's whole history, timed as part of the bots' cost. */
export function checkExchange(
  history: History,
  users: Record<string, string[]>,
  caps: Cap[],
): { ms: number; findings: CheckResult['findings'] } {
  const start = performance.now();
  const result = check(history.events, {
    expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
    users,
    caps,
    endT: history.now(),
  });
  return { ms: performance.now() - start, findings: result.findings };
}

/** One round of one side: its population is `pairs` senders and receivers, named from `tag`. */
interface Round {
  url: string;
  secret: string;
  s: PopulationSettings;
  pairs: number;
  tag: string;
}

/** Bot i of a round: even ones send (a0, a1, …), odd ones receive (b0, b1, …), pair i >> 1. */
function userAt(tag: string, i: number): string {
  return `${tag}${i % 2 === 0 ? 'a' : 'b'}${i >> 1}`;
}

/** Messages per pair: the total spread evenly, at least 4. */
function perPair(s: PopulationSettings, pairs: number): number {
  return Math.max(4, Math.ceil(s.messages / pairs));
}

async function bareRound({ url, secret, s, pairs, tag }: Round): Promise<Side> {
  const logins = await inBatches(2 * pairs, async (i) => {
    const login = await bareLogin(url, userAt(tag, i), secret);
    await login.first;
    return login.ws;
  });
  const each = perPair(s, pairs);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: pairs }, (_, p) => {
      const a = logins[2 * p]!;
      const b = logins[2 * p + 1]!;
      const to = `${tag}b${p}`;
      return new Promise<void>((resolve) => {
        let sent = 0;
        let accepted = 0;
        let delivered = 0;
        const pump = () => {
          while (sent < each && sent - accepted < s.window) {
            const i = sent++;
            a.send(JSON.stringify({ type: 'msg:R', rid: `r${i}`, cmid: `c${i}`, to, body: exchangeBody(i) }));
          }
        };
        a.on('message', (data) => {
          const f = JSON.parse(data.toString()) as Record<string, unknown>;
          if (f.type === 'msg:A') {
            accepted++;
            pump();
          } else if (f.type === 'ack:N' && f.status === 'delivered' && ++delivered === each) {
            resolve();
          }
        });
        ackCumulatively(b);
        pump();
      });
    }),
  );
  const ms = performance.now() - start;
  const cpuMs = cpuMsSince(cpu);
  for (const ws of logins) ws.terminate();
  return { rate: ((each * pairs) / ms) * 1000, cpuMs, checkMs: 0 };
}

async function botsRound({ url, secret, s, pairs, tag }: Round): Promise<Side> {
  const history = new History();
  const detach = attachHistoryMetrics(history, createMetrics(new Registry()), {
    scenario: 'bench',
    driver: 'ran',
    suite: 'bench',
  });
  const driver = createDriver('ran', { target: url });
  // Retransmit timers far beyond the expected latency: the bench measures the exchange, not retries.
  const client = resolveClientOptions({ retransmitMs: 10_000, maxRetransmitMs: 20_000 });
  const users: Record<string, string[]> = {};
  const bots = await inBatches(2 * pairs, async (i) => {
    const user = userAt(tag, i);
    users[user] = ['d1'];
    const bot = new Bot({
      actor: `${user}/d1`,
      user,
      device: 'd1',
      token: hmacToken(secret, user),
      driver,
      history,
      client,
    });
    await bot.connect();
    return bot;
  });
  const each = perPair(s, pairs);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: pairs }, (_, p) => {
      const a = bots[2 * p]!;
      const to = `${tag}b${p}`;
      return new Promise<void>((resolve) => {
        let sent = 0;
        const pump = () => {
          const c = a.state.counts;
          if (c.delivered === each) {
            off();
            resolve();
            return;
          }
          while (sent < each && sent - (c.accepted + c.stored + c.delivered) < s.window) {
            a.send(to, exchangeBody(sent));
            sent++;
          }
        };
        const off = a.onChange(pump);
        pump();
      });
    }),
  );
  const checked = checkExchange(history, users, [...(bots[0]!.state.lastSession?.caps ?? [])]);
  const end = performance.now();
  const cpuMs = cpuMsSince(cpu);
  detach();
  await Promise.all(bots.map((b) => b.stop()));
  const finding = checked.findings[0];
  if (finding !== undefined) {
    // The bench measures a clean exchange: a finding means the figure is not what it says.
    throw new Error(`bots population bench: the checker found ${finding.requirement}: ${finding.actual}`);
  }
  return { rate: ((each * pairs) / (end - start)) * 1000, cpuMs, checkMs: checked.ms };
}

export interface PopulationResult {
  bots: number;
  rate: Spread;
  cpu: Spread;
}

/** The series: for each count, interleaved rounds of bare then bots; ratios per round, medians. */
export async function populationSeries(
  url: string,
  secret: string,
  s: PopulationSettings,
): Promise<PopulationResult[]> {
  console.log(
    `  population series: ${s.counts.join(' / ')} bots in pairs, ${s.messages.toLocaleString('en-US')} messages spread over the pairs (at least 4 each), window ${s.window}, ${s.rounds} interleaved rounds`,
  );
  const results: PopulationResult[] = [];
  for (const count of s.counts) {
    const pairs = count / 2;
    const bare: Side[] = [];
    const bots: Side[] = [];
    for (let r = 0; r < s.rounds; r++) {
      bare.push(await bareRound({ url, secret, s, pairs, tag: `p${count}x${r}-` }));
      bots.push(await botsRound({ url, secret, s, pairs, tag: `p${count}y${r}-` }));
    }
    const messages = perPair(s, pairs) * pairs;
    const us = (sides: Side[]) => spread(sides.map((x) => (x.cpuMs * 1000) / messages));
    const rate = pairedRatio(
      bots.map((x) => x.rate),
      bare.map((x) => x.rate),
    );
    const cpu = pairedRatio(
      bare.map((x) => x.cpuMs),
      bots.map((x) => x.cpuMs),
    );
    const checkUs = spread(bots.map((x) => (x.checkMs * 1000) / messages));
    console.log(
      `    ${count.toLocaleString('en-US').padStart(6)} bots  bare ${fmtSpread(spread(bare.map((x) => x.rate)), ' msgs/s')}, ${fmtSpread(us(bare), ' µs/msg', 1)}; bots ${fmtSpread(spread(bots.map((x) => x.rate)), ' msgs/s')}, ${fmtSpread(us(bots), ' µs/msg', 1)} (of it the checker ${checkUs.median.toFixed(1)} µs wall)`,
    );
    console.log(
      `                 ratio bots/bare  rate ${fmtSpread(rate, '×', 2)}; CPU (bare/bots) ${fmtSpread(cpu, '×', 2)}`,
    );
    results.push({ bots: count, rate, cpu });
  }
  return results;
}
