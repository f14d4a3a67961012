/**
 * The exported numbers equal the verdicts: real conformance runs against the embedded reference
 * server with deliberate faults, each metric read from the registry and compared with what the
 * checker decided for the same case. A FAIL for loss moves imspec_messages_lost_total; a FAIL for
 * duplicates moves imspec_duplicates_total{layer="app"}; imspec_schema_violations_total counts
 * exactly the FRAME-4 findings — never the kit's own malformed probes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { checkCapture } from '../../src/capture/check.js';
import { captureWriter } from '../../src/capture/writer.js';
import { metricsListener } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import type { CaseResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  // A histogram's _count and _sum are samples of its family.
  const family =
    registry.getSingleMetric(name) ?? registry.getSingleMetric(name.replace(/_(count|sum)$/, ''));
  const { values } = await family!.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name) === name)
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Runs cases into a fresh registry; `capture` records their traffic there (a directory). */
async function run(only: string[], serverFaults: string[], capture?: string) {
  const registry = new Registry();
  const wiring = runMetrics(createMetrics(registry), 'ran');
  const writer = capture === undefined ? undefined : captureWriter(capture);
  const result = await runSuites(
    { paths: ['suites/core'], only, reports: [], seed: 7, serverFaults },
    {
      onHistory: (h, s) => {
        wiring.onHistory(h, s);
        writer?.onHistory(h, s);
      },
      reporters: [wiring.reporter, ...(writer ? [writer.reporter] : [])],
    },
  );
  return { cases: result.cases, metric: reader(registry), captures: writer?.files ?? [] };
}

const reader =
  (registry: Registry) =>
  (name: string, c: CaseResult, labels: Record<string, string> = {}) =>
    value(registry, name, { scenario: c.id, ...labels });

/** Findings of one kind, counted past the report's per-rule cap ("and N more … not listed"). */
function findings(c: CaseResult, kind: string, requirement?: string): number {
  let n = 0;
  for (const f of c.findings) {
    if (f.kind !== kind || (requirement !== undefined && f.requirement !== requirement)) continue;
    n += 1 + Number(/\(and (\d+) more/.exec(f.actual)?.[1] ?? 0);
  }
  return n;
}

const total = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Every figure the report shows for a case, as the report has it and as the registry has it
 * (latency sums in seconds, as Prometheus reads them).
 */
async function figures(
  c: CaseResult,
  metric: (name: string, c: CaseResult, l?: Record<string, string>) => Promise<number>,
) {
  const s = c.stats!;
  const report = {
    sent: s.sent,
    accepted: s.accepted,
    delivered: s.delivered,
    lost: s.lost,
    app: s.appDuplicates,
    wire: s.wireDuplicates,
    retransmits: s.retransmits,
    seqGaps: s.seqGaps,
    unknownOutcome: [s.unknownOutcome - s.recovered, s.recovered],
    msgA: [s.ackLatencyMs.length, total(s.ackLatencyMs) / 1000],
    ackN: [s.receiptLatencyMs.length, total(s.receiptLatencyMs) / 1000],
    delivery: [s.deliveryLatencyMs.length, total(s.deliveryLatencyMs) / 1000],
  };
  const hist = async (name: string, l: Record<string, string> = {}) => [
    await metric(`${name}_count`, c, l),
    await metric(`${name}_sum`, c, l),
  ];
  const exported = {
    sent: await metric('imspec_messages_sent_total', c),
    accepted: await metric('imspec_messages_accepted_total', c),
    delivered: await metric('imspec_messages_delivered_total', c),
    lost: await metric('imspec_messages_lost_total', c),
    app: await metric('imspec_duplicates_total', c, { layer: 'app' }),
    wire: await metric('imspec_duplicates_total', c, { layer: 'wire' }),
    retransmits: await metric('imspec_retransmits_total', c),
    seqGaps: await metric('imspec_seq_gaps_total', c),
    unknownOutcome: [
      await metric('imspec_messages_unknown_outcome_total', c, { recovered: 'false' }),
      await metric('imspec_messages_unknown_outcome_total', c, { recovered: 'true' }),
    ],
    msgA: await hist('imspec_ack_latency_seconds', { ack: 'msg_a' }),
    ackN: await hist('imspec_ack_latency_seconds', { ack: 'ack_n' }),
    delivery: await hist('imspec_delivery_latency_seconds'),
  };
  // Sums agree to the microsecond (the same event times, added in another order).
  const round = (o: object) =>
    JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
  return { report: round(report), exported: round(exported) };
}

describe('metrics agree with the verdicts', () => {
  it('imspec check of a capture: every figure of its report, wire duplicates included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imspec-agreement-'));
    try {
      // Pushes of committed messages: per-sender-order's retransmissions on a server without dedup.
      const { captures } = await run(['multi-device-cursors', 'per-sender-order'], ['no-dedup'], dir);
      const registry = new Registry();
      const wiring = runMetrics(createMetrics(registry), 'capture');
      let wire = 0;
      for (const file of captures) {
        const { result } = await checkCapture(file, { onHistory: wiring.onHistory });
        wiring.reporter.onCaseResult!(result);
        wire += result.stats!.wireDuplicates;
        const { report, exported } = await figures(result, reader(registry));
        expect(exported, result.id).toEqual(report);
      }
      expect(wire).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every figure of the report, case by case: messages (not commits) delivered, a message’s first msg:R to its first msg:A, wire duplicates of pushes only', async () => {
    // multi-device-cursors: two devices commit each message; schema-conformance: a sync re-reads
    // committed messages; ack-rules: msg:R written by steps, no app send; lost-ack-n on a server
    // without dedup: a retransmission after the message settled, stored again under a new smid.
    const clean = await run(['multi-device-cursors', 'schema-conformance', 'ack-rules'], []);
    const noDedup = await run(['lost-ack-n', 'per-sender-order'], ['no-dedup']);
    for (const { cases, metric } of [clean, noDedup]) {
      for (const c of cases) {
        const { report, exported } = await figures(c, metric);
        expect(exported, c.id).toEqual(report);
      }
    }
  });

  it('a kill -9 after msg:A on a server that acks before commit: FAIL DUR-1, and the lost counter holds every lost message', async () => {
    const { cases, metric } = await run(['durability-kill-9'], ['ack-before-commit']);
    const c = cases[0]!;
    expect(c.verdict).toBe('FAIL');
    const lost = findings(c, 'lost', 'DUR-1');
    expect(lost).toBeGreaterThan(0);
    expect(c.stats!.lost).toBe(lost);
    expect(await metric('imspec_messages_lost_total', c)).toBe(lost);
  }, 120_000);

  it('a server without dedup: FAIL for app duplicates, and the app duplicates counter equals the ledger', async () => {
    const { cases, metric } = await run(['lost-msg-a'], ['no-dedup']);
    const c = cases[0]!;
    expect(c.verdict).toBe('FAIL');
    expect(findings(c, 'app-duplicate')).toBeGreaterThan(0);
    expect(c.stats!.appDuplicates).toBeGreaterThan(0);
    expect(await metric('imspec_duplicates_total', c, { layer: 'app' })).toBe(c.stats!.appDuplicates);
  });

  it('schema violations: the FRAME-4 findings of a bad-schema server, and none for the kit’s own malformed probes', async () => {
    const bad = await run(['happy-six-frames'], ['bad-schema']);
    const b = bad.cases[0]!;
    expect(b.verdict).toBe('FAIL');
    const frame4 = findings(b, 'schema-violation', 'FRAME-4');
    expect(frame4).toBeGreaterThan(0);
    expect(await bad.metric('imspec_schema_violations_total', b)).toBe(frame4);

    const clean = await run(['malformed-input', 'happy-six-frames'], []);
    for (const c of clean.cases) {
      expect(c.verdict, c.id).toBe('PASS');
      expect(await clean.metric('imspec_schema_violations_total', c), c.id).toBe(0);
      expect(await clean.metric('imspec_messages_lost_total', c), c.id).toBe(0);
      expect(await clean.metric('imspec_duplicates_total', c, { layer: 'app' }), c.id).toBe(0);
    }
  });

  it('packets with no RAN/1 counterpart (MQTT SUBACK, XMPP presence) are frames, not violations', async () => {
    const registry = new Registry();
    const listen = metricsListener(createMetrics(registry), { scenario: 'm', driver: 'mqtt', suite: 's' });
    const frame = { kind: 'frame', t: 0, actor: 'a/d', conn: 1, raw: '' } as const;
    listen({ ...frame, dir: 'in', type: undefined, fields: { mqtt: 'suback' } });
    listen({ ...frame, dir: 'out', type: undefined, fields: { mqtt: 'subscribe' } });
    // The kit's deliberately malformed outbound probe.
    listen({ ...frame, dir: 'out', type: 'msg:R', fields: {}, invalid: 'missing cmid' });
    expect(await value(registry, 'imspec_schema_violations_total', {})).toBe(0);
    expect(await value(registry, 'imspec_frames_total', { op: 'unknown' })).toBe(2);
    // A frame the target sent that fails decoding is one.
    listen({ ...frame, dir: 'in', type: undefined, fields: {}, invalid: 'not JSON' });
    expect(await value(registry, 'imspec_schema_violations_total', { op: 'unknown' })).toBe(1);
    // …unless the fault proxy corrupted frames to that actor.
    listen({ kind: 'fault', t: 1, rule: 'r', action: 'corrupt', actor: 'a/d' });
    listen({ ...frame, dir: 'in', type: undefined, fields: {}, invalid: 'not JSON' });
    expect(await value(registry, 'imspec_schema_violations_total', {})).toBe(1);
  });
});
