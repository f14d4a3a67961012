/**
 * `npm run soak:load`: does a long load run end with the heap a short one ends with? The streaming
 * ledger retires settled messages and the load bots keep only their windows, so memory must
 * follow messages in flight, not the run's length. Runs one profile twice in this process (bots
 * in-process, so one heap holds everything): for `--short` (5m) and for `--long` (30m), and prints
 * the heap after a full GC at the end of each and their ratio. Not part of `npm test` (35 minutes).
 *
 *   npm run soak:load -- [--profile profiles/steady.yaml] [--short 5m] [--long 30m]
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runLoad } from '../src/load/run-load.js';
import { parseDuration } from '../src/scenarios/duration.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const profile = arg('profile', 'profiles/steady.yaml');
const lengths = [arg('short', '5m'), arg('long', '30m')];
const heaps: number[] = [];
for (const length of lengths) {
  const durationMs = parseDuration(length);
  const started = performance.now();
  const result = await runLoad({ profile, durationMs, workers: 0, reports: [], seed: 1 });
  gc();
  gc();
  const m = process.memoryUsage();
  heaps.push(m.heapUsed);
  console.log(
    `${profile} for ${length}: ${result.counters.sent} messages, lost ${result.counters.lost}, exit ${result.exitCode}, ` +
      `wall ${((performance.now() - started) / 60_000).toFixed(1)} min; at the end: heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB, ` +
      `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`,
  );
}
console.log(
  `heap after ${lengths[1]} / heap after ${lengths[0]}: ${(heaps[1]! / heaps[0]!).toFixed(2)} (goal ≈ 1.00)`,
);
