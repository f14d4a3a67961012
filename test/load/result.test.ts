/**
 * Results merge exactly (counters add, HdrHistograms add value by value; percentiles after the
 * merge), thresholds read the merged figures, and the JSON and JUnit forms say the same.
 */

import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import { zeroCounters } from '../../src/checker/ledger-contract.js';
import { LatencyHistograms } from '../../src/load/latency.js';
import { loadProfileText } from '../../src/load/profile/load-profile.js';
import { renderLoadJunit } from '../../src/load/report/junit.js';
import { renderLoadJson } from '../../src/load/report/reporters.js';
import { renderLoadSummary } from '../../src/load/report/text.js';
import { buildLoadResult, mergeWorkers } from '../../src/load/result.js';
import { evaluateThresholds, parseThreshold } from '../../src/load/thresholds.js';
import type { WorkerResult } from '../../src/load/worker/messages.js';

const profile = loadProfileText(
  `name: merge
population: { senders: 4 }
executor: { type: constant-arrival-rate, rate: 10, duration: 1s }
thresholds:
  lost: ['== 0']
  dropped_rate: ['< 10%']
  delivery_latency: ['p(99) < 50ms', 'max <= 1s']
`,
  'merge.yaml',
);

function worker(index: number, latenciesMs: number[], lost: number): WorkerResult {
  const h = new LatencyHistograms();
  for (const ms of latenciesMs) h.record('delivery', ms, 2);
  return {
    index,
    offered: latenciesMs.length + 1,
    dropped: { window: 1, 'no-bot': 0, disconnected: 0 },
    counters: { ...zeroCounters(), sent: latenciesMs.length, delivered: latenciesMs.length, lost },
    findings: [],
    histograms: h.encode(),
    endT: 1000,
    unsettled: 0,
    faultsInjected: 0,
    offlineDepartures: 0,
    bots: 8,
    connectFailures: 0,
  };
}

describe('load results', () => {
  it('merge workers exactly: counters add, histograms equal one histogram of every value', () => {
    const a = Array.from({ length: 900 }, (_, i) => 1 + i * 0.01);
    const b = Array.from({ length: 100 }, (_, i) => 40 + i);
    const merged = mergeWorkers([worker(0, a, 0), worker(1, b, 2)]);
    const whole = new LatencyHistograms();
    for (const ms of [...a, ...b]) whole.record('delivery', ms, 2);
    expect(merged.counters.sent).toBe(1000);
    expect(merged.counters.lost).toBe(2);
    expect(merged.offered).toBe(1002);
    expect(merged.dropped).toEqual({ window: 2, 'no-bot': 0, disconnected: 0, total: 2 });
    for (const p of [50, 90, 99, 99.9, 100]) {
      expect(merged.histograms.percentile('delivery_latency', p)).toBe(
        whole.percentile('delivery_latency', p),
      );
      expect(merged.histograms.percentile('delivery_latency.scheduled', p)).toBe(
        whole.percentile('delivery_latency.scheduled', p),
      );
    }
    // Microsecond resolution, three significant digits.
    expect(merged.histograms.percentile('delivery_latency', 50)).toBeCloseTo(5.99, 1);
    expect(merged.histograms.max('delivery_latency.scheduled')).toBeCloseTo(141, 0);
    // A percentile of the merge, not an average of the workers' percentiles.
    const p99 = merged.histograms.percentile('delivery_latency', 99);
    expect(p99).toBeGreaterThan(120);
  });

  it('judge thresholds on merged figures, and render the same verdict as JSON, JUnit and text', () => {
    const merged = mergeWorkers([worker(0, [1, 2, 3], 0), worker(1, [200], 1)]);
    const result = buildLoadResult(
      {
        runId: 'r1',
        profile,
        startedAt: new Date(0).toISOString(),
        wallMs: 1500,
        seed: 1,
        target: 'embedded reference server',
        driver: 'ran',
        workers: 2,
        process: [],
      },
      merged,
    );
    expect(result.thresholds.map((t) => [t.figure, t.source, t.ok])).toEqual([
      ['lost', '== 0', false],
      ['dropped_rate', '< 10%', false],
      ['delivery_latency', 'p(99) < 50ms', false],
      ['delivery_latency', 'max <= 1s', true],
    ]);
    expect(result.exitCode).toBe(1);
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(resultSchema);
    const json = JSON.parse(renderLoadJson(result));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const xml = renderLoadJunit(result);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(xml).toContain('name="delivery_latency p(99) &lt; 50ms"');
    const text = renderLoadSummary(result);
    expect(text).toContain('✗ lost == 0');
    expect(text).toContain('✓ delivery_latency max <= 1s');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^FAIL: 3 of 4 thresholds broke/);
  });

  it('parse k6-style expressions with units and aggregates, and fail a latency with no data', () => {
    expect(parseThreshold('ack_latency.msg_a', 'p(99.9) < 2s', false)).toMatchObject({
      aggregation: { kind: 'p', p: 99.9 },
      op: '<',
      value: 2000,
    });
    expect(parseThreshold('delivery_latency', 'med<=500us', true)).toMatchObject({
      aggregation: { kind: 'p', p: 50 },
      op: '<=',
      value: 0.5,
      abortOnFail: true,
    });
    expect(parseThreshold('retransmit_rate', '< 2%', false).value).toBeCloseTo(0.02, 12);
    expect(() => parseThreshold('lost', '== 0 ms', false)).toThrow(/not a duration/);
    expect(() => parseThreshold('delivery_latency', 'p(101) < 1s', false)).toThrow(/percentile/);
    const figures = { value: () => 0, latency: () => Number.NaN };
    const [o] = evaluateThresholds([parseThreshold('delivery_latency', 'p(99) < 1s', false)], figures);
    expect(o).toMatchObject({ ok: false });
    expect(Number.isNaN(o!.actual)).toBe(true);
  });
});
