/**
 * Bench section "load": the load engine's own cost, against baselines measured in the same run
 * (medians of interleaved rounds; a shared machine moves absolute numbers, ratios less so). Each
 * section is a file of load/: exchange-rate.ts, memory-per-bot.ts, ledger-alone.ts.
 *
 * 1. Exchange rate: P sender/receiver pairs push N messages through the six-frame exchange
 *    (msg:R → msg:A, msg:N → ack:R → ack:A, ack:N delivered), each sender keeping a window of W
 *    unreceipted messages, against the embedded reference server (a child process, its own
 *    core). Bare: a `ws` client that parses each frame and does nothing else. Load: the load
 *    engine's bots (every client rule, the history events, the metric table fed from them) and,
 *    when this build has it, the streaming ledger judging every message. Goal ≥ 0.9. After the
 *    figure, the kit floor (kit-floor.ts) against the room a 0.9× rate leaves the engine when
 *    client and server share the cores.
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
 * IMSPEC_BENCH_MEMORY_ROUNDS (5: rounds of section 2, four processes of up to BOTS connections each, ~12 s a round),
 * IMSPEC_BENCH_LEDGER_MESSAGES (1000000,10000000), IMSPEC_BENCH_LOAD_BREAKDOWN (0; 1 adds load
 * rounds without the ledger and without ledger and metrics to section 1, printed beside the
 * figure). To run one section alone, skip the others: IMSPEC_BENCH_LOAD_MESSAGES=0 skips section
 * 1, IMSPEC_BENCH_LOAD_BOTS=0 section 2 and IMSPEC_BENCH_LEDGER_MESSAGES=0 section 3.
 */

import { pathToFileURL } from 'node:url';
import { startEmbedded } from '../../src/runner/embedded.js';
import { type Exchange, exchangeSection, SECRET } from './load/exchange-rate.js';
import { ledgerFactory, ledgerSection } from './load/ledger-alone.js';
import { memorySection } from './load/memory-per-bot.js';

const int = (name: string, fallback: number) => {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export async function run(): Promise<void> {
  const x: Exchange = {
    pairs: int('IMSPEC_BENCH_LOAD_PAIRS', 20),
    messages: int('IMSPEC_BENCH_LOAD_MESSAGES', 20_000),
    window: int('IMSPEC_BENCH_LOAD_WINDOW', 64),
  };
  const rounds = int('IMSPEC_BENCH_ROUNDS', 5);
  // 0 skips the exchange section (the memory or ledger section alone).
  const exchange = process.env.IMSPEC_BENCH_LOAD_MESSAGES !== '0';
  // 0 skips the memory section (a quick run of the exchange rate alone).
  const botsN = process.env.IMSPEC_BENCH_LOAD_BOTS === '0' ? 0 : int('IMSPEC_BENCH_LOAD_BOTS', 5000);
  const ledger = ledgerFactory();
  console.log(
    exchange
      ? `load: ${x.messages} messages over ${x.pairs} pairs, window ${x.window}, median of ${rounds} interleaved rounds; server: embedded reference server (child process)`
      : 'load: exchange section skipped (IMSPEC_BENCH_LOAD_MESSAGES=0); server: embedded reference server (child process)',
  );
  const server = await startEmbedded({ secret: SECRET, faults: [] });
  try {
    if (exchange) await exchangeSection(server.url, server.pid, x, rounds, ledger);
    if (botsN > 0) await memorySection(server.url, botsN, int('IMSPEC_BENCH_MEMORY_ROUNDS', 5));
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
