/**
 * `imspec merge`, pure: shard results add up exactly (counters, finding counts, histograms to the
 * last value), thresholds are judged on the whole and not shard by shard, and files that do not
 * make one run — a shard missing or doubled, another profile — are refused naming why.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroCounters } from '../../src/checker/ledger-contract.js';
import { MergeError } from '../../src/errors.js';
import { LatencyHistograms } from '../../src/load/latency.js';
import { mergeShards, type ShardFile } from '../../src/load/merge.js';
import type { Threshold } from '../../src/load/profile/types.js';
import { buildLoadResult, type LoadResult, mergeWorkers } from '../../src/load/result.js';
import { parseThreshold } from '../../src/load/thresholds.js';

const thresholds: Threshold[] = [
  parseThreshold('sent', '>= 150', false),
  parseThreshold('lost', '== 0', false),
  parseThreshold('delivery_latency', 'p(99) < 50ms', false),
];

/** A shard's result as `imspec load --shard i/N` writes it, with these delivery latencies (ms). */
function shard(
  index: number,
  count: number,
  latencies: number[],
  extra: Partial<LoadResult> = {},
): ShardFile {
  const histograms = new LatencyHistograms();
  for (const ms of latencies) histograms.record('delivery', ms, 1);
  const counters = {
    ...zeroCounters(),
    sent: latencies.length,
    accepted: latencies.length,
    delivered: latencies.length,
  };
  const merged = mergeWorkers([
    {
      index: 0,
      offered: latencies.length + 1,
      dropped: { window: 1, 'no-bot': 0, disconnected: 0 },
      counters,
      findings: [],
      histograms: histograms.encode(),
      endT: 1000,
      unsettled: 0,
      faultsInjected: index,
      offlineDepartures: 0,
      bots: 10,
      connectFailures: 0,
    },
  ]);
  const result = buildLoadResult(
    {
      runId: `run-${index}`,
      profile: {
        name: 'p',
        file: 'p.yaml',
        hash: '00000000000000ab',
        description: '',
        thresholds,
        durationMs: 1000,
      },
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
      wallMs: 2000,
      seed: 7,
      target: 'ws://127.0.0.1:1',
      driver: 'ran',
      workers: 0,
      process: [],
      shard: { index, count },
    },
    merged,
  );
  return { file: `shard-${index}.json`, result: { ...result, ...extra } };
}

const values = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + (i % 40));

describe('merging shard results', () => {
  it('adds counters and judges thresholds on the whole: every shard alone fails sent >= 150, the run passes', () => {
    const files = [shard(2, 3, values(100, 1)), shard(0, 3, values(100, 2)), shard(1, 3, values(100, 3))];
    for (const f of files) expect(f.result.thresholds[0]!.ok).toBe(false);
    const r = mergeShards(files);
    expect(r.counters.sent).toBe(300);
    expect(r.counters.delivered).toBe(300);
    expect(r.schedule.offered).toBe(303);
    expect(r.dropped).toEqual({ window: 3, 'no-bot': 0, disconnected: 0, total: 3 });
    expect(r.faultsInjected).toBe(0 + 1 + 2);
    expect(r.bots).toBe(30);
    expect(r.merged).toEqual({ shards: 3, runIds: ['run-0', 'run-1', 'run-2'] });
    expect(r.shard).toBeUndefined();
    expect(r.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(r.wallMs).toBe(4000);
    expect(r.thresholds.map((t) => t.ok)).toEqual([true, true, true]);
    expect(r.exitCode).toBe(0);
  });

  it('judges latency on the merged histogram: one slow shard counts for its share, not for the run', () => {
    // 2% of shard 0's deliveries are slow: its own p(99) breaks 50 ms. Over the whole run they
    // are 0.5%, so the run's p(99) holds — worst-shard or averaged percentiles would say otherwise.
    const files = [shard(0, 2, [...values(980, 1), ...Array(20).fill(900)]), shard(1, 2, values(3000, 1))];
    expect(files[0]!.result.thresholds[2]!.ok).toBe(false);
    const r = mergeShards(files);
    expect(r.thresholds[2]!.ok).toBe(true);
    expect(r.thresholds[2]!.actual).toBeLessThan(50);
    // And the other way: enough slow ones over the whole break it (exit 1).
    const slow = mergeShards([files[0]!, shard(1, 2, [...values(200, 1), ...Array(30).fill(900)])]);
    expect(slow.thresholds[2]!.ok).toBe(false);
    expect(slow.exitCode).toBe(1);
  });

  it('merges histograms exactly: any split of the values gives the percentiles of all of them', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 3 }), fc.double({ min: 0.001, max: 60_000, noNaN: true })),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        (draws) => {
          const parts: number[][] = [[], [], [], []];
          for (const [s, ms] of draws) parts[s]!.push(ms);
          const r = mergeShards(parts.map((p, i) => shard(i, 4, p)));
          const all = new LatencyHistograms();
          for (const [, ms] of draws) all.record('delivery', ms, 1);
          // A single run's own result also goes through encode/decode once (its workers'
          // histograms are merged the same way), which rounds max to its bucket's top.
          const single = LatencyHistograms.decode(all.encode());
          expect(r.latency.delivery_latency).toEqual(single.summary('delivery_latency'));
          expect(r.histograms['delivery_latency']).toBe(single.encode()['delivery_latency']);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('adds finding counts, keeping a bounded sample of findings', () => {
    const a = shard(0, 2, values(10, 1), { findingCounts: { 'lost DEL-1': 30 } });
    const b = shard(1, 2, values(10, 1), { findingCounts: { 'lost DEL-1': 5, 'app-duplicate DEDUP-1': 1 } });
    expect(mergeShards([a, b]).findingCounts).toEqual({ 'lost DEL-1': 35, 'app-duplicate DEDUP-1': 1 });
  });

  it('refuses files that are not one run, naming the index or the difference', () => {
    const ok = (i: number) => shard(i, 3, values(5, 1));
    const cases: [ShardFile[], RegExp][] = [
      [[ok(0), ok(2)], /shard 1\/3 missing: no result file for index 1/],
      [[ok(0)], /shards 1\/3, 2\/3 missing/],
      [[ok(0), ok(1), ok(1), ok(2)], /shard 1\/3 appears 2 times/],
      [
        [ok(0), ok(1), shard(2, 3, [1], { imspec: '9.9.9' })],
        /shard-2\.json is not part of the same run .*imspec version 9\.9\.9/,
      ],
      [
        [
          ok(0),
          ok(1),
          {
            ...ok(2),
            result: { ...ok(2).result, profile: { ...ok(2).result.profile, hash: 'fedcba9876543210' } },
          },
        ],
        /profile hash fedcba9876543210 ≠ 00000000000000ab/,
      ],
      [[ok(0), ok(1), shard(2, 3, [1], { seed: 8 })], /seed 8 ≠ 7/],
      [[ok(0), shard(1, 4, [1])], /shard count N 4 ≠ 3/],
      [
        [ok(0), { file: 'whole.json', result: { ...ok(1).result, shard: undefined } as LoadResult }],
        /whole\.json is a whole run, not a shard/,
      ],
      [
        [{ file: 'x.json', result: { format: 'nope' } as unknown as LoadResult }],
        /x\.json is not an imspec load result/,
      ],
      [[], /no shard results to merge/],
    ];
    for (const [files, message] of cases) {
      expect(() => mergeShards(files)).toThrow(MergeError);
      expect(() => mergeShards(files)).toThrow(message);
    }
    expect(() => mergeShards([ok(0), ok(1), ok(2)], { shards: 4 })).toThrow(/shards of N=3, but --shards 4/);
  });

  it('refuses a shard whose content is not a load result, naming the file and the field', () => {
    const ok = (i: number) => shard(i, 2, values(5, 1));
    const broken = (change: (r: Record<string, unknown>) => void): ShardFile => {
      const result = structuredClone(ok(1).result) as unknown as Record<string, unknown>;
      change(result);
      return { file: 'shard-1.json', result: result as unknown as LoadResult };
    };
    const cases: [ShardFile, RegExp][] = [
      [
        broken((r) => {
          (r['counters'] as Record<string, unknown>)['sent'] = 'abc';
        }),
        /shard-1\.json: field counters\.sent must be integer \(schemas\/load-result\.schema\.json\)/,
      ],
      [
        broken((r) => {
          delete r['histograms'];
        }),
        /shard-1\.json: field histograms is missing/,
      ],
      [
        broken((r) => {
          (r['histograms'] as Record<string, string>)['delivery_latency'] = 'not base64!';
        }),
        /shard-1\.json: field histograms\.delivery_latency is not a compressed HdrHistogram/,
      ],
    ];
    for (const [bad, message] of cases) {
      expect(() => mergeShards([ok(0), bad])).toThrow(MergeError);
      expect(() => mergeShards([ok(0), bad])).toThrow(message);
    }
  });
});
