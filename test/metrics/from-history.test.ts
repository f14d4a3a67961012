import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { History } from '../../src/history/events.js';
import { LATENCY_BUCKETS, METRIC_LIST, METRICS } from '../../src/metrics/definitions.js';
import {
  attachHistoryMetrics,
  faultLabel,
  metricsListener,
  recordCaseResult,
  recordCheckStats,
} from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import { replayDeliveries } from './fixtures.js';

const base = { scenario: 'loss', driver: 'ran', suite: 'core' };

/** One sample of a histogram by its series name (`…_sum`, `…_count`) and labels. */
async function sample(
  registry: Registry,
  metric: string,
  series: string,
  labels: Record<string, string> = {},
) {
  const { values } = await registry.getSingleMetric(metric)!.get();
  return (values as { metricName?: string; labels: Record<string, unknown>; value: number }[]).find(
    (v) => v.metricName === series && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  )?.value;
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const hit = values.filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return hit.reduce((sum, v) => sum + v.value, 0);
}

describe('metric definitions', () => {
  it('follow Prometheus naming: imspec_ prefix, _total counters, _seconds histograms, bounded labels', () => {
    for (const d of METRIC_LIST) {
      expect(d.name).toMatch(/^imspec_[a-z_]+$/);
      if (d.type === 'counter') expect(d.name).toMatch(/_total$/);
      if (d.unit === 'seconds') expect(d.name).toMatch(/_seconds$/);
      for (const forbidden of ['cmid', 'smid', 'user', 'actor', 'device', 'rid']) {
        expect(d.labels).not.toContain(forbidden);
      }
    }
  });

  it('use latency buckets that resolve 100 µs to 30 s in ascending order', () => {
    expect(LATENCY_BUCKETS[0]).toBe(0.0001);
    expect(LATENCY_BUCKETS.at(-1)).toBe(30);
    expect([...LATENCY_BUCKETS].sort((x, y) => x - y)).toEqual(LATENCY_BUCKETS);
    expect(METRICS.ackLatency.buckets).toBe(LATENCY_BUCKETS);
  });
});

describe('metrics fed by history events', () => {
  it('takes events in runs at the end of the turn, and a read of the registry takes what waits', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const held = vi.spyOn(metrics, 'beforeRead');
    const listen = metricsListener(metrics, base);
    const send = (cmid: string) =>
      listen({ kind: 'send', t: 0, actor: 'alice/phone', cmid, to: 'bob', body: 'x' });
    send('c1');
    send('c2');
    // Held back once for the run, with its hand-over registered for the next read.
    expect(held).toHaveBeenCalledTimes(1);
    expect(await value(registry, 'imspec_messages_sent_total')).toBe(2);
    // Within the same turn after that read: held again, and read again.
    send('c3');
    expect(await value(registry, 'imspec_messages_sent_total')).toBe(3);
    await new Promise((resolve) => setImmediate(resolve));
    send('c4');
    await new Promise((resolve) => setImmediate(resolve));
    expect(held).toHaveBeenCalledTimes(3);
    expect(await value(registry, 'imspec_messages_sent_total')).toBe(4);
  });

  it('zero-initialises known label combinations so rates exist from the first scrape', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    attachHistoryMetrics(new History(), metrics, base);
    const text = await registry.metrics();
    expect(text).toContain(
      'imspec_retransmits_total{scenario="loss",driver="ran",suite="core",reason="timeout"} 0',
    );
    expect(text).toContain(
      'imspec_duplicates_total{scenario="loss",driver="ran",suite="core",layer="app"} 0',
    );
    expect(text).toContain(
      'imspec_frames_total{scenario="loss",driver="ran",suite="core",op="msg",kind="R",direction="out"} 0',
    );
    expect(text).toContain(
      'imspec_ack_latency_seconds_count{scenario="loss",driver="ran",suite="core",ack="ack_n"} 0',
    );
    expect(text).not.toContain('imspec_probe_success{');
  });

  it('counts frames, sends, acceptances, deliveries, retransmits, wire duplicates, pages, violations, faults; not a gap a client saw', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const history = new History();
    // Wire duplicates from the bots' dedup events, as the monitor counts them (no ledger).
    attachHistoryMetrics(history, metrics, base, { wireDuplicatesFromEvents: true });
    replayDeliveries(history, { messages: 10, lossEvery: 5, t0: 0 });
    expect(await value(registry, 'imspec_messages_sent_total')).toBe(10);
    expect(await value(registry, 'imspec_messages_accepted_total')).toBe(10);
    expect(await value(registry, 'imspec_messages_delivered_total')).toBe(10);
    expect(await value(registry, 'imspec_retransmits_total', { reason: 'timeout' })).toBe(2);
    expect(await value(registry, 'imspec_duplicates_total', { layer: 'wire' })).toBe(2);
    expect(await value(registry, 'imspec_faults_injected_total', { fault: 'drop' })).toBe(2);
    expect(await value(registry, 'imspec_frames_total', { op: 'msg', kind: 'R', direction: 'out' })).toBe(12);
    expect(await value(registry, 'imspec_frames_total', { op: 'ack', kind: 'N', direction: 'in' })).toBe(10);
    // The client's gap event is no seq gap: SEQ-1's holes come from the ledger (recordCheckStats).
    expect(await value(registry, 'imspec_seq_gaps_total')).toBe(0);
    expect(await value(registry, 'imspec_sync_pages_total')).toBe(1);
    expect(await value(registry, 'imspec_schema_violations_total', { op: 'msg', kind: 'N' })).toBe(1);
  });

  it('leaves wire duplicates to the ledger unless told to count dedup events, and never a sync re-read', async () => {
    const push = { kind: 'dedup', t: 1, actor: 'b/p', smid: 's1', seq: 1, via: 'push' } as const;
    const sync = { ...push, via: 'sync' } as const;
    const wire = async (options: { wireDuplicatesFromEvents?: boolean }) => {
      const registry = new Registry();
      const listen = metricsListener(createMetrics(registry), base, options);
      for (const e of [push, sync, sync]) listen(e);
      return value(registry, 'imspec_duplicates_total', { layer: 'wire' });
    };
    expect(await wire({})).toBe(0);
    expect(await wire({ wireDuplicatesFromEvents: true })).toBe(1);
  });

  it('times msg:A from the first msg:R, ack:N and first commit from the send', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const history = new History();
    attachHistoryMetrics(history, metrics, base);
    replayDeliveries(history, { messages: 1, t0: 0 });
    const ackSum = (ack: string) =>
      sample(registry, 'imspec_ack_latency_seconds', 'imspec_ack_latency_seconds_sum', { ack });
    expect(await ackSum('msg_a')).toBeCloseTo(0.0002, 6); // msg:R at 0.05 ms, msg:A at 0.25 ms
    expect(await ackSum('ack_n')).toBeCloseTo(0.0009, 6);
    expect(
      await sample(registry, 'imspec_delivery_latency_seconds', 'imspec_delivery_latency_seconds_sum'),
    ).toBeCloseTo(0.0005, 6);
  });

  /** bob/phone commits alice's message s1. */
  const commit = {
    kind: 'commit',
    t: 1,
    actor: 'bob/phone',
    smid: 's1',
    cmid: 'c1',
    from: 'alice',
    seq: 1,
    body: '',
    via: 'push',
  } as const;

  it('counts a second commit of the same message once: app duplicates come from the checker', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const listen = metricsListener(metrics, base);
    listen(commit);
    listen({ ...commit, t: 2 });
    expect(await value(registry, 'imspec_messages_delivered_total')).toBe(1);
    const figures = {
      lost: 3,
      appDuplicates: 1,
      wireDuplicates: 2,
      seqGaps: 4,
      unknownOutcome: 5,
      recovered: 3,
    };
    recordCheckStats(metrics, figures as never, base);
    expect(await value(registry, 'imspec_messages_lost_total')).toBe(3);
    expect(await value(registry, 'imspec_duplicates_total', { layer: 'app' })).toBe(1);
    expect(await value(registry, 'imspec_duplicates_total', { layer: 'wire' })).toBe(2);
    expect(await value(registry, 'imspec_seq_gaps_total')).toBe(4);
    expect(await value(registry, 'imspec_messages_unknown_outcome_total', { recovered: 'true' })).toBe(3);
    expect(await value(registry, 'imspec_messages_unknown_outcome_total', { recovered: 'false' })).toBe(2);
  });

  it('takes a commit at its word when it says whether it repeats one (again), with no table', async () => {
    const registry = new Registry();
    const listen = metricsListener(createMetrics(registry), base);
    // A device that committed s1 before a reinstall the listener never saw: not a new delivery.
    listen({ ...commit, again: true });
    listen({ ...commit, smid: 's2', again: false });
    expect(await value(registry, 'imspec_messages_delivered_total')).toBe(1);
  });

  it('forgets unanswered requests beyond maxTracked so memory stays bounded', async () => {
    const registry = new Registry();
    const listen = metricsListener(createMetrics(registry), base, { maxTracked: 100 });
    // 10k msg:R whose msg:A never comes: without the bound these would all stay in memory.
    for (let i = 0; i < 10_000; i++) {
      listen({
        kind: 'frame',
        t: i,
        actor: 'a/p',
        conn: 1,
        dir: 'out',
        type: 'msg:R',
        fields: { rid: `r${i}`, cmid: `c${i}` },
        raw: '',
      });
    }
    // The 100 newest are still tracked: answering one observes a latency.
    listen({
      kind: 'frame',
      t: 10_000,
      actor: 'a/p',
      conn: 1,
      dir: 'in',
      type: 'msg:A',
      fields: { rid: 'r9999', cmid: 'c9999' },
      raw: '',
    });
    listen({
      kind: 'frame',
      t: 10_000,
      actor: 'a/p',
      conn: 1,
      dir: 'in',
      type: 'msg:A',
      fields: { rid: 'r0', cmid: 'c0' },
      raw: '',
    });
    expect(
      await sample(registry, 'imspec_ack_latency_seconds', 'imspec_ack_latency_seconds_count', {
        ack: 'msg_a',
      }),
    ).toBe(1);
  });

  it('counts target kills and bot misbehaviour as faults, but not the restart that recovers a kill', async () => {
    const registry = new Registry();
    const listen = metricsListener(createMetrics(registry), base);
    listen({ kind: 'target', t: 1, action: 'kill' });
    listen({ kind: 'target', t: 2, action: 'restart', detail: 'same data' });
    listen({ kind: 'target', t: 3, action: 'restart' });
    listen({ kind: 'misbehave', t: 4, actor: 'b/p', what: 'withholdAcks' });
    listen({ kind: 'misbehave', t: 5, actor: 'b/p', what: 'behave' });
    expect(await value(registry, 'imspec_faults_injected_total', { fault: 'kill' })).toBe(1);
    expect(await value(registry, 'imspec_faults_injected_total', { fault: 'restart' })).toBe(1);
    expect(await value(registry, 'imspec_faults_injected_total', { fault: 'misbehave' })).toBe(1);
  });

  it('maps free-text fault actions onto a bounded label', () => {
    expect(faultLabel('drop msg:N')).toBe('drop');
    expect(faultLabel('kill -9')).toBe('kill');
    expect(faultLabel('flip bits')).toBe('other');
  });

  it('sets the case verdict gauge to 1 for its verdict and 0 for the others', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    recordCaseResult(metrics, { id: 'dedup-1', suite: 'core', verdict: 'FAIL' }, 'ran');
    expect(await value(registry, 'imspec_case_verdict', { verdict: 'FAIL' })).toBe(1);
    expect(await value(registry, 'imspec_case_verdict', { verdict: 'PASS' })).toBe(0);
  });

  it('wires a run: per-case histories feed metrics, case results add lost, app duplicates and the verdict', async () => {
    const registry = new Registry();
    const wiring = runMetrics(createMetrics(registry), 'ran');
    const history = new History();
    wiring.onHistory(history, { id: 'dedup-1', suite: 'core' });
    replayDeliveries(history, { messages: 4, t0: 0 });
    wiring.reporter.onCaseResult?.({
      id: 'dedup-1',
      suite: 'core',
      verdict: 'FAIL',
      stats: { lost: 2, appDuplicates: 1 },
    } as never);
    // After the case result the listener is detached: later events are not counted.
    replayDeliveries(history, { messages: 4, t0: 100, prefix: 'late' });
    expect(await value(registry, 'imspec_messages_sent_total', { scenario: 'dedup-1' })).toBe(4);
    expect(await value(registry, 'imspec_messages_lost_total', { scenario: 'dedup-1', suite: 'core' })).toBe(
      2,
    );
    expect(await value(registry, 'imspec_duplicates_total', { layer: 'app' })).toBe(1);
    expect(await value(registry, 'imspec_case_verdict', { scenario: 'dedup-1', verdict: 'FAIL' })).toBe(1);
  });
});
