/**
 * `npm run soak:load`: does a long load run end with the heap a short one ends with? The streaming
 * ledger retires settled messages and the load bots keep only their windows, so memory must
 * follow messages in flight, not the run's length. Runs one profile twice in this process (bots
 * in-process, so one heap holds everything): for `--short` (5m) and for `--long` (30m), and prints
 * the live heap after a full GC at the end of each schedule (sampled while the run holds it) and
 * their ratio. Not part of `npm test` (35 minutes).
 *
 *   npm run soak:load -- [--profile profiles/steady.yaml] [--short 5m] [--long 30m]
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runLoad } from '../src/load/run-load.js';
import { parseDuration } from '../src/scenarios/duration.js';
import { scriptArgs } from './args.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const args = scriptArgs(
  'soak:load',
  'npm run soak:load -- [--profile profiles/steady.yaml] [--short 5m] [--long 30m]',
  {
    profile: { type: 'string', default: 'profiles/steady.yaml' },
    short: { type: 'string', default: '5m' },
    long: { type: 'string', default: '30m' },
  },
);
const profile = args.profile;
const SAMPLE_EVERY_MS = 30_000;
const lengths = [args.short, args.long];
const heaps: number[] = [];
/** Heap after a full GC, taken while the run is live (its ledger, bots and windows all held). */
function liveHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
const mib = (v: number) => `${(v / 2 ** 20).toFixed(1)} MiB`;
for (const length of lengths) {
  const durationMs = parseDuration(length);
  const started = performance.now();
  // Sampled every SAMPLE_EVERY_MS of the schedule; the last sample before the schedule ends is
  // "the heap at the end" — after runLoad returns, everything it held is garbage and any run
  // would look flat.
  let atEnd = 0;
  let peak = 0;
  let nextSample = 0;
  const result = await runLoad(
    { profile, durationMs, workers: 0, reports: [], seed: 1 },
    {
      onProgress: (p) => {
        if (p.t < nextSample || p.t > durationMs) return;
        nextSample = p.t + SAMPLE_EVERY_MS;
        atEnd = liveHeap();
        peak = Math.max(peak, atEnd);
      },
    },
  );
  heaps.push(atEnd);
  const m = process.memoryUsage();
  console.log(
    `${profile} for ${length}: ${result.counters.sent} messages, lost ${result.counters.lost}, exit ${result.exitCode}, ` +
      `wall ${((performance.now() - started) / 60_000).toFixed(1)} min; live heap (after GC) at the end of the schedule ${mib(atEnd)}, ` +
      `peak ${mib(peak)}; rss after the run ${(m.rss / 2 ** 20).toFixed(0)} MiB`,
  );
}
console.log(
  `live heap at the end of ${lengths[1]} / at the end of ${lengths[0]}: ${(heaps[1]! / heaps[0]!).toFixed(2)} (goal ≈ 1.00)`,
);
