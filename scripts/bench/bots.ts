/**
 * Bench section "bots": the six-frame RAN/1 exchange (msg:R → msg:A, msg:N → coalesced ack:R →
 * ack:A, ack:N delivered) driven by imspec bots — schema validation of every frame, the history
 * of every frame and decision, metrics fed from the history, and the checker over the whole
 * history at the end, its time included — against a bare `ws` client doing the same exchange on
 * the same server, in one run. Goal (docs/architecture.md): bots ≥ 0.9× bare in messages per
 * second and in client CPU per message.
 *
 * The reference server runs in a child process (its own core, as deployed), so the CPU figure is
 * the client's alone: process.cpuUsage() of this process never counts the server. Both sides keep
 * the same window of unaccepted messages in flight and finish when the sender holds a delivered
 * receipt for every message. Rounds alternate (bare, bots, bare, bots…) on fresh users of one
 * server, so drift hits both; each figure is the median of per-round ratios (bots round i over
 * bare round i), with min and max. Sizes are a series (default 1k and 100k messages) so growth in
 * the kit's cost per message shows; the goal figures are taken at the largest size.
 *
 * The bots' history keeps every event for the checker; IMSPEC_BENCH_RAW_WINDOW=N keeps the wire
 * text of valid frames only for the newest N (history/raw-window.ts, a memory saving: what the
 * checker and the reports need), "all" (the default) every frame's text, as a plain History.
 *
 * A second series runs the exchange with 10, 1,000 and 10,000 bots (bots-population.ts), so a
 * cost that grows with the number of bots shows too.
 *
 * At the largest size, the kit floor (kit-floor.ts): the least the bots' job costs per message —
 * validate each frame, record it, count each message once — against the room a 0.9× CPU ratio
 * leaves above the bare client in the same run; the goal figures carry it as their floors (the
 * best CPU ratio any bots could reach, and with the server's CPU per message from /proc, the best
 * rate ratio).
 *
 * Environment: IMSPEC_BENCH_BOTS_MESSAGES (default "1000,100000"), IMSPEC_BENCH_WINDOW (default
 * 1000), IMSPEC_BENCH_ROUNDS (default 5), IMSPEC_BENCH_RAW_WINDOW (default "all", or a number of frames);
 * IMSPEC_BENCH_METRICS=0 and IMSPEC_BENCH_CHECKER=0 leave those out, to see what each costs.
 */

import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { Bot } from '../../src/bots/bot.js';
import { resolveClientOptions } from '../../src/bots/options.js';
import { createDriver } from '../../src/drivers/index.js';
import { History } from '../../src/history/events.js';
import { RawWindowHistory } from '../../src/history/raw-window.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { startEmbedded } from '../../src/runner/embedded.js';
import { ackCumulatively, bareLogin, exchangeBody } from './bare-login.js';
import { checkExchange, populationSeries, populationSettings } from './bots-population.js';
import {
  atLeast,
  cpuMsSince,
  envInt,
  figure,
  fmtSpread,
  pairedRatio,
  processCpuUs,
  spread,
} from './figures.js';
import { bestRateRatio, printKitFloor } from './kit-floor.js';

const SECRET = 'bench';

interface Settings {
  sizes: number[];
  window: number;
  rounds: number;
  /** Feed metrics from the history (on by default; off only to see what they cost). */
  metrics: boolean;
  /** Run the checker at the end (on by default). */
  checker: boolean;
  /** Valid frames whose wire text the history keeps (the newest); undefined keeps all. */
  rawWindow: number | undefined;
}

interface Round {
  messages: number;
  window: number;
  url: string;
  /** Prefix of this round's user names: every round starts on empty inboxes. */
  tag: string;
}

interface RoundResult {
  ms: number;
  rate: number;
  /** CPU time of this process (the client; the server is a child process) spent on the round. */
  cpuMs: number;
  note: string;
}

function settings(): Settings {
  const sizes = (process.env.IMSPEC_BENCH_BOTS_MESSAGES ?? '1000,100000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  return {
    sizes: sizes.length > 0 ? sizes : [1000, 100_000],
    window: envInt('IMSPEC_BENCH_WINDOW', 1000),
    rounds: envInt('IMSPEC_BENCH_ROUNDS', 5),
    metrics: process.env.IMSPEC_BENCH_METRICS !== '0',
    checker: process.env.IMSPEC_BENCH_CHECKER !== '0',
    rawWindow:
      (process.env.IMSPEC_BENCH_RAW_WINDOW ?? 'all') === 'all'
        ? undefined
        : envInt('IMSPEC_BENCH_RAW_WINDOW', 0),
  };
}

// ── bare ws client ────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

async function bareRound(r: Round): Promise<RoundResult> {
  const a = await bareLogin(r.url, `${r.tag}alice`, SECRET);
  const b = await bareLogin(r.url, `${r.tag}bob`, SECRET);
  await Promise.all([a.first, b.first]);
  let sent = 0;
  let accepted = 0;
  let delivered = 0;
  let rid = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const done = new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < r.messages && sent - accepted < r.window) {
        const i = sent++;
        a.ws.send(
          JSON.stringify({
            type: 'msg:R',
            rid: `r${++rid}`,
            cmid: `c${i}`,
            to: `${r.tag}bob`,
            body: exchangeBody(i),
          }),
        );
      }
    };
    a.ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Json;
      if (f.type === 'msg:A') {
        accepted++;
        pump();
      } else if (f.type === 'ack:N' && f.status === 'delivered') {
        if (++delivered === r.messages) resolve();
      }
    });
    ackCumulatively(b.ws);
    pump();
  });
  await done;
  const ms = performance.now() - start;
  const cpuMs = cpuMsSince(cpu);
  a.ws.terminate();
  b.ws.terminate();
  return { ms, rate: (r.messages / ms) * 1000, cpuMs, note: '' };
}

// ── imspec bots ───────────────────────────────────────────────────────────────────────────

async function botsRound(r: Round, s: Settings): Promise<RoundResult> {
  const history = s.rawWindow === undefined ? new History() : new RawWindowHistory(s.rawWindow);
  const metrics = createMetrics(new Registry());
  const base = { scenario: 'bench', driver: 'ran', suite: 'bench' };
  const detach = s.metrics ? attachHistoryMetrics(history, metrics, base) : () => {};
  const driver = createDriver('ran', { target: r.url });
  // Retransmit timers far beyond the expected latency: the bench measures the exchange, not retries.
  const client = resolveClientOptions({ retransmitMs: 10_000, maxRetransmitMs: 20_000 });
  const alice = `${r.tag}alice`;
  const bob = `${r.tag}bob`;
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
  const a = make(alice);
  const b = make(bob);
  await Promise.all([a.connect(), b.connect()]);
  let sent = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const pump = () => {
      const c = a.state.counts;
      if (c.delivered === r.messages) {
        off();
        resolve();
        return;
      }
      while (sent < r.messages && sent - (c.accepted + c.stored + c.delivered) < r.window) {
        a.send(bob, exchangeBody(sent));
        sent++;
      }
    };
    const off = a.onChange(pump);
    pump();
  });
  let ms = performance.now() - start;
  const notes = [
    `${history.events.length} history events, frame text kept for ${s.rawWindow === undefined ? 'all' : `the newest ${s.rawWindow}`}`,
  ];
  if (s.checker) {
    try {
      const checked = checkExchange(history, { [alice]: ['d1'], [bob]: ['d1'] }, [
        ...(a.state.lastSession?.caps ?? []),
      ]);
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
  const cpuMs = cpuMsSince(cpu);
  const retransmits = history.events.filter((e) => e.kind === 'retransmit').length;
  if (retransmits > 0) notes.push(`${retransmits} retransmits`);
  detach();
  await Promise.all([a.stop(), b.stop()]);
  return { ms, rate: (r.messages / ms) * 1000, cpuMs, note: notes.join(', ') };
}

// ── section ───────────────────────────────────────────────────────────────────────────────

interface SizeResult {
  messages: number;
  rate: ReturnType<typeof spread>;
  cpu: ReturnType<typeof spread>;
  /** The bare client's CPU per message, µs (median). */
  bareUs: number;
  /** The server's CPU per message in the bare rounds, µs (median); undefined without /proc. */
  serverUs: number | undefined;
}

async function size(
  url: string,
  serverPid: number | undefined,
  s: Settings,
  messages: number,
  tagBase: string,
): Promise<SizeResult> {
  const bare: RoundResult[] = [];
  const bots: RoundResult[] = [];
  const serverUs: number[] = [];
  for (let i = 0; i < s.rounds; i++) {
    const round = (side: string) => ({ messages, window: s.window, url, tag: `${tagBase}${side}${i}-` });
    const s0 = processCpuUs(serverPid);
    bare.push(await bareRound(round('x')));
    const s1 = processCpuUs(serverPid);
    if (s0 !== undefined && s1 !== undefined) serverUs.push((s1 - s0) / messages);
    bots.push(await botsRound(round('y'), s));
  }
  const us = (rs: RoundResult[]) => spread(rs.map((r) => (r.cpuMs * 1000) / messages));
  console.log(
    `  ${messages.toLocaleString('en-US')} messages, window ${s.window}, ${s.rounds} interleaved rounds`,
  );
  console.log(`    bare ws client   ${fmtSpread(spread(bare.map((r) => r.rate)), ' msgs/s')}`);
  console.log(`    imspec bots      ${fmtSpread(spread(bots.map((r) => r.rate)), ' msgs/s')}`);
  const notes = bots[bots.length >> 1]!.note;
  console.log(`    bots (median round): ${notes}`);
  console.log(
    `    client CPU/msg   bare ${fmtSpread(us(bare), ' µs', 1)}; bots ${fmtSpread(us(bots), ' µs', 1)}`,
  );
  const server = serverUs.length > 0 ? spread(serverUs) : undefined;
  if (server) console.log(`    server CPU/msg   ${fmtSpread(server, ' µs', 1)} (bare rounds)`);
  const rate = pairedRatio(
    bots.map((r) => r.rate),
    bare.map((r) => r.rate),
  );
  // CPU ratio as bare/bots, so that like the rate ratio higher is better and 1 means "costs nothing".
  const cpu = pairedRatio(
    bare.map((r) => r.cpuMs),
    bots.map((r) => r.cpuMs),
  );
  console.log(
    `    ratio bots/bare  rate ${fmtSpread(rate, '×', 2)}; CPU (bare/bots) ${fmtSpread(cpu, '×', 2)}`,
  );
  return { messages, rate, cpu, bareUs: us(bare).median, serverUs: server?.median };
}

/** The bench section: a size series, then the goal figures at the largest size. */
export async function run(): Promise<void> {
  const s = settings();
  console.log(
    'bots: imspec bots vs a bare ws client, alice→bob six-frame exchange; server: embedded (child process)',
  );
  const server = await startEmbedded({ secret: SECRET, faults: [] });
  try {
    const results: SizeResult[] = [];
    for (const [i, messages] of s.sizes.entries())
      results.push(await size(server.url, server.pid, s, messages, `s${i}`));
    const top = results[results.length - 1]!;
    const n = top.messages.toLocaleString('en-US');
    // bare/bots ≥ 0.9 means bots ≤ bare/0.9: the kit's own work must fit in bare × (1/0.9 − 1).
    const floorUs = printKitFloor(
      top.messages,
      s.rounds,
      top.bareUs * (1 / 0.9 - 1),
      `a 0.9× CPU ratio to the bare client's ${top.bareUs.toFixed(1)} µs leaves`,
    );
    const rateFloor = bestRateRatio(top.bareUs, top.serverUs, floorUs);
    figure(atLeast(`bots exchange rate / bare ws (${n} msgs)`, top.rate.median, 0.9, '×', 2, rateFloor));
    // The best CPU ratio any bots could reach: the bare client's work plus the floor's.
    const cpuFloor = top.bareUs / (top.bareUs + floorUs);
    figure(atLeast(`bots client CPU/msg, bare/bots (${n} msgs)`, top.cpu.median, 0.9, '×', 2, cpuFloor));
    const population = await populationSeries(server.url, SECRET, populationSettings(s.window, s.rounds));
    const most = population[population.length - 1];
    if (most !== undefined) {
      figure(
        atLeast(
          `bots exchange rate / bare ws (${most.bots.toLocaleString('en-US')} bots)`,
          most.rate.median,
          0.9,
        ),
      );
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
