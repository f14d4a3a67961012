/**
 * `npm run merge:cost`: what `imspec merge` costs for many shard files. Writes N synthetic shard
 * results (each with every latency histogram holding `--values` recorded latencies spread over
 * 0.1 ms–10 s, and a full sample of findings), then times reading and merging them — the merge
 * Job's work — in interleaved rounds against a baseline of merely reading and parsing the same
 * files, and prints medians and the ratio. Not part of `npm test`.
 *
 *   npm run merge:cost -- [--shards 100] [--values 100000] [--rounds 5]
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zeroCounters } from '../src/checker/ledger-contract.js';
import { LatencyHistograms } from '../src/load/latency.js';
import { mergeShards } from '../src/load/merge.js';
import { readShardFiles } from '../src/load/merge-files.js';
import { buildLoadResult, mergeWorkers } from '../src/load/result.js';
import { parseThreshold } from '../src/load/thresholds.js';
import { scriptArgs } from './args.js';

const args = scriptArgs('merge:cost', 'npm run merge:cost -- [--shards 100] [--values 100000] [--rounds 5]', {
  shards: { type: 'string', default: '100' },
  values: { type: 'string', default: '100000' },
  rounds: { type: 'string', default: '5' },
});
/** A whole number ≥ 1 from `--name`, or exit 2 (NaN would make an empty run that looks fine). */
function count(name: keyof typeof args): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`merge:cost: --${name} must be a whole number ≥ 1, got ${args[name]}\n`);
    process.exit(2);
  }
  return n;
}
const shards = count('shards');
const values = count('values');
const rounds = count('rounds');
const dir = mkdtempSync(join(tmpdir(), 'imspec-merge-cost-'));
const thresholds = [
  parseThreshold('lost', '== 0', false),
  parseThreshold('delivery_latency', 'p(99) < 500ms', false),
];

let bytes = 0;
for (let index = 0; index < shards; index++) {
  const h = new LatencyHistograms();
  let x = index + 1;
  for (let v = 0; v < values; v++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const ms = 0.1 * 10 ** ((x / 2 ** 31) * 5);
    h.record('msg_a', ms, 1);
    h.record('ack_n', ms * 2, 1);
    h.record('delivery', ms * 3, 1);
  }
  const counters = { ...zeroCounters(), sent: values, accepted: values, delivered: values };
  const merged = mergeWorkers([
    {
      index: 0,
      offered: values,
      dropped: { window: 0, 'no-bot': 0, disconnected: 0 },
      counters,
      findings: [],
      histograms: h.encode(),
      endT: 60_000,
      unsettled: 0,
      faultsInjected: 0,
      offlineDepartures: 0,
      bots: 1000,
      connectFailures: 0,
    },
  ]);
  const result = buildLoadResult(
    {
      runId: `shard-${index}`,
      profile: {
        name: 'cost',
        file: 'cost.yaml',
        hash: 'h',
        description: '',
        thresholds,
        durationMs: 60_000,
      },
      startedAt: new Date().toISOString(),
      wallMs: 70_000,
      seed: 1,
      target: 'ws://target',
      driver: 'ran',
      workers: 1,
      process: [],
      shard: { index, count: shards },
    },
    merged,
  );
  const text = JSON.stringify(result);
  bytes += text.length;
  writeFileSync(join(dir, `shard-${index}.json`), text);
}

async function parseOnly(): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir))
    n += Object.keys(JSON.parse(await readFile(join(dir, name), 'utf8'))).length;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline: number[] = [];
const merge: number[] = [];
let sent = 0;
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  await parseOnly();
  baseline.push(performance.now() - t);
  t = performance.now();
  const result = mergeShards(await readShardFiles([dir]));
  merge.push(performance.now() - t);
  sent = result.counters.sent;
}
rmSync(dir, { recursive: true, force: true });
if (sent !== shards * values) throw new Error(`merged sent ${sent}, expected ${shards * values}`);
console.log(
  `${shards} shard files, ${(bytes / shards / 1024).toFixed(1)} KiB each, ${values} values per histogram`,
);
console.log(`read + parse only:   median ${median(baseline).toFixed(1)} ms`);
console.log(
  `imspec merge (read, check, add, merge histograms, judge): median ${median(merge).toFixed(1)} ms`,
);
console.log(
  `ratio merge / parse: ${(median(merge) / median(baseline)).toFixed(2)}× (${rounds} interleaved rounds)`,
);
