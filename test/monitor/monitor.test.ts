import { Registry } from 'prom-client';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startWsProxy } from '../../src/faults/ws-proxy.js';
import { resolveMonitorConfig } from '../../src/monitor/config.js';
import { type RunningMonitor, startMonitor } from '../../src/monitor/monitor.js';
import { hmacToken } from '../../src/protocol/auth.js';
import type { FaultName } from '../../src/server/faults.js';
import { type RunningServer, startServer } from '../../src/server/server.js';

const SECRET = 'monitor-test-secret';
const env = { A_TOKEN: hmacToken(SECRET, 'probe-a'), B_TOKEN: hmacToken(SECRET, 'probe-b') };

let server: RunningServer | undefined;
let monitor: RunningMonitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  await server?.close();
  monitor = undefined;
  server = undefined;
});

function config(target: string, extra: Record<string, unknown> = {}) {
  return resolveMonitorConfig(
    {
      target,
      interval: 0,
      timeout: '2s',
      retransmit: '150ms',
      reconnectMin: '20ms',
      reconnectMax: '200ms',
      accounts: [
        { user: 'probe-a', device: 'monitor', tokenEnv: 'A_TOKEN' },
        { user: 'probe-b', device: 'monitor', tokenEnv: 'B_TOKEN' },
      ],
      metrics: { port: 0 },
      ...extra,
    },
    env,
  );
}

/** Sum of a metric's samples with these labels; `…_count` / `…_sum` pick a histogram's series. */
async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const series = /_(count|sum)$/.test(name) ? name : undefined;
  const metric = registry.getSingleMetric(series ? name.replace(/_(count|sum)$/, '') : name);
  const { values } = await metric!.get();
  return (values as { metricName?: string; labels: Record<string, unknown>; value: number }[])
    .filter((v) => series === undefined || v.metricName === series)
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

async function withServer(faults: FaultName[] = [], port = 0) {
  server = await startServer({ port, hmacSecret: SECRET, faults });
  return server;
}

describe('imspec monitor', () => {
  it('exchanges canaries both ways and exports probe success, latencies and deliveries', async () => {
    const s = await withServer();
    const registry = new Registry();
    // The counts below are exact (one msg:A per canary, no retransmission): a retransmit timer
    // longer than a loaded machine's slowest msg:A keeps it so (150 ms did not, at load 8).
    monitor = await startMonitor(config(s.url, { retransmit: '1500ms' }), { registry, maxCycles: 5 });
    await monitor.done;
    expect(monitor.last()).toMatchObject({ success: true, cycle: 5 });
    expect(monitor.last()!.directions.map((d) => `${d.from}->${d.to}`)).toEqual([
      'probe-a->probe-b',
      'probe-b->probe-a',
    ]);
    expect(await sample(registry, 'imspec_probe_success')).toBe(1);
    expect(await sample(registry, 'imspec_messages_delivered_total')).toBe(10);
    expect(await sample(registry, 'imspec_ack_latency_seconds_count', { ack: 'msg_a' })).toBe(10);
    expect(await sample(registry, 'imspec_ack_latency_seconds_count', { ack: 'ack_n' })).toBe(10);
    expect(await sample(registry, 'imspec_delivery_latency_seconds_count')).toBe(10);
    expect(await sample(registry, 'imspec_retransmits_total')).toBe(0);

    const metrics = await request(`${monitor.metricsUrl}/metrics`);
    expect(await metrics.body.text()).toMatch(
      /^imspec_probe_duration_seconds\{scenario="monitor",driver="ran",suite="monitor"\} [\d.e-]+$/m,
    );
    const health = await request(`${monitor.metricsUrl}/healthz`);
    expect([health.statusCode, await health.body.text()]).toEqual([
      200,
      'ok: 2/2 accounts connected, last probe ok\n',
    ]);
  });

  // The always-on rules judge every cycle: a canary whose body the server stores cut
  // (truncate-body, past 1 KiB) or re-encoded (bmp-only, 4-byte characters) still arrives, so
  // only SEQ-3 from the always-on rule body-integrity shows the defect.
  it.each([
    ['truncate-body', { size: 2048, text: 'ascii' }],
    ['bmp-only', { size: 64, text: 'unicode' }],
  ] as const)(
    'judges the always-on rules every cycle: %s breaks SEQ-3 and imspec_findings_total counts it',
    async (fault, canary) => {
      const s = await withServer([fault]);
      const registry = new Registry();
      monitor = await startMonitor(config(s.url, { canary }), { registry, maxCycles: 2 });
      await monitor.done;
      const last = monitor.last()!;
      expect(last.findings.map((f) => `${f.level} ${f.requirement}`)).toContain('MUST SEQ-3');
      expect(
        await sample(registry, 'imspec_findings_total', { requirement: 'SEQ-3', level: 'MUST' }),
      ).toBeGreaterThanOrEqual(2);
      const text = await (await request(`${monitor.metricsUrl}/metrics`)).body.text();
      expect(text).toMatch(
        /^imspec_findings_total\{scenario="monitor",driver="ran",suite="monitor",requirement="SEQ-3",level="MUST"\} [1-9]\d*$/m,
      );
    },
  );

  it('finds nothing on the healthy server with the same canaries', async () => {
    const s = await withServer();
    const registry = new Registry();
    monitor = await startMonitor(config(s.url, { canary: { size: 2048, text: 'unicode' } }), {
      registry,
      maxCycles: 3,
    });
    await monitor.done;
    expect(monitor.last()).toMatchObject({ success: true, findings: [] });
    expect(await sample(registry, 'imspec_findings_total')).toBe(0);
  });

  it('tolerates dropped answers (drop-answer): a receipt without msg:A still completes the canary', async () => {
    const s = await withServer(['drop-answer']);
    const registry = new Registry();
    const results: boolean[] = [];
    monitor = await startMonitor(config(s.url), {
      registry,
      maxCycles: 6,
      serve: false,
      onCycle: (r) => results.push(r.success),
    });
    await monitor.done;
    expect(results).toEqual([true, true, true, true, true, true]);
    expect(await sample(registry, 'imspec_messages_delivered_total')).toBe(12);
  });

  it('retransmits with the same cmid when no receipt comes, and gets it from the dedup answer (DEDUP-3)', async () => {
    const s = await withServer(['no-delivered-receipt']);
    const registry = new Registry();
    const results: boolean[] = [];
    monitor = await startMonitor(config(s.url, { timeout: '500ms' }), {
      registry,
      maxCycles: 2,
      serve: false,
      onCycle: (r) => results.push(r.success),
    });
    await monitor.done;
    expect(results).toEqual([true, true]);
    expect(await sample(registry, 'imspec_retransmits_total', { reason: 'timeout' })).toBeGreaterThanOrEqual(
      4,
    );
    // The server deduplicates the retransmits (DEDUP-1): each canary is delivered once.
    expect(await sample(registry, 'imspec_messages_delivered_total')).toBe(4);
    expect(await sample(registry, 'imspec_duplicates_total', { layer: 'app' })).toBe(0);
  });

  it('fails the probe with reason timeout when receipts never come (no-delivered-receipt + dup-no-receipt)', async () => {
    const s = await withServer(['no-delivered-receipt', 'dup-no-receipt']);
    const registry = new Registry();
    const reasons: (string | undefined)[] = [];
    monitor = await startMonitor(config(s.url, { timeout: '400ms' }), {
      registry,
      maxCycles: 2,
      serve: false,
      onCycle: (r) => reasons.push(r.reason),
    });
    await monitor.done;
    expect(reasons).toEqual(['timeout', 'timeout']);
    expect(await sample(registry, 'imspec_probe_failures_total', { reason: 'timeout' })).toBe(2);
    expect(await sample(registry, 'imspec_probe_success')).toBe(0);
  });

  it('reports app duplicates when the server does not deduplicate retransmits (no-dedup)', async () => {
    const s = await withServer(['no-dedup', 'no-delivered-receipt']);
    const registry = new Registry();
    const reasons: (string | undefined)[] = [];
    monitor = await startMonitor(config(s.url, { timeout: '500ms' }), {
      registry,
      maxCycles: 2,
      serve: false,
      onCycle: (r) => reasons.push(r.reason),
    });
    await monitor.done;
    expect(reasons).toEqual(['duplicate', 'duplicate']);
    expect(await sample(registry, 'imspec_duplicates_total', { layer: 'app' })).toBeGreaterThanOrEqual(4);
    expect(await sample(registry, 'imspec_probe_failures_total', { reason: 'duplicate' })).toBe(2);
  });

  it('counts the seqs a refetch shows were never assigned when the server skips seqs (seq-gap, SEQ-1)', async () => {
    const s = await withServer(['seq-gap']);
    const registry = new Registry();
    monitor = await startMonitor(config(s.url), { registry, maxCycles: 16, serve: false });
    await monitor.done;
    // Every 7th message of an inbox skips a seq: 16 canaries into each of two inboxes, 2 skips each.
    expect(await sample(registry, 'imspec_seq_gaps_total')).toBe(4);
  });

  it('counts no seq gap on the healthy server when a refetch fills the gap (every 2nd msg:N dropped, 3 accounts)', async () => {
    const s = await withServer();
    const proxy = await startWsProxy({
      upstream: s.url,
      rules: resolveFaultRules([{ match: { op: 'msg', kind: 'N' }, action: 'drop', every: 2 }]),
    });
    try {
      const registry = new Registry();
      const gaps: number[] = [];
      const c = config(proxy.url);
      const cfg = {
        ...c,
        accounts: [
          ...c.accounts,
          { ...c.accounts[0]!, user: 'probe-c', token: hmacToken(SECRET, 'probe-c') },
        ],
      };
      monitor = await startMonitor(cfg, { registry, maxCycles: 4, serve: false });
      monitor.history.subscribe((e) => {
        if (e.kind === 'gap') gaps.push(e.saw - e.have);
      });
      await monitor.done;
      // Gaps were seen (two senders into each inbox per cycle) and refetched: none is a hole.
      expect(gaps.length).toBeGreaterThan(0);
      expect(await sample(registry, 'imspec_seq_gaps_total')).toBe(0);
    } finally {
      await monitor?.stop();
      await proxy.close();
    }
  });

  it('counts wire duplicates and stays successful when the server pushes everything twice (duplicate-push)', async () => {
    const s = await withServer(['duplicate-push']);
    const registry = new Registry();
    const results: boolean[] = [];
    monitor = await startMonitor(config(s.url), {
      registry,
      maxCycles: 3,
      serve: false,
      onCycle: (r) => results.push(r.success),
    });
    await monitor.done;
    expect(results).toEqual([true, true, true]);
    expect(await sample(registry, 'imspec_duplicates_total', { layer: 'wire' })).toBeGreaterThanOrEqual(5);
    expect(await sample(registry, 'imspec_duplicates_total', { layer: 'app' })).toBe(0);
    expect(await sample(registry, 'imspec_messages_delivered_total')).toBe(6);
  });

  it('reports lost canaries when pushes never reach the receiver (fault proxy drops every msg:N)', async () => {
    server = await startServer({ port: 0, hmacSecret: SECRET, repushMs: 60_000 });
    const proxy = await startWsProxy({
      upstream: server.url,
      rules: resolveFaultRules([{ match: { op: 'msg', kind: 'N' }, action: 'drop' }]),
    });
    try {
      const registry = new Registry();
      const reasons: (string | undefined)[] = [];
      monitor = await startMonitor(config(proxy.url, { timeout: '300ms' }), {
        registry,
        maxCycles: 2,
        serve: false,
        onCycle: (r) => reasons.push(r.reason),
      });
      await monitor.done;
      expect(reasons).toEqual(['lost', 'lost']);
      expect(await sample(registry, 'imspec_messages_lost_total')).toBe(4);
      expect(await sample(registry, 'imspec_probe_failures_total', { reason: 'lost' })).toBe(2);
    } finally {
      await monitor?.stop();
      await proxy.close();
    }
  });

  it('waits out the retransmit timer after a msg:A it cannot read, never resending at once', async () => {
    // Every msg:A keeps its rid but breaks the schema, so the driver refuses each answer at once;
    // no receipt comes, so the canary is resent until the cycle's timeout.
    server = await startServer({ port: 0, hmacSecret: SECRET });
    const proxy = await startWsProxy({
      upstream: server.url,
      rules: resolveFaultRules([
        { match: { op: 'msg', kind: 'A' }, action: { type: 'corrupt', mode: 'schema', field: 'smid' } },
        { match: { op: 'ack', kind: 'N' }, action: 'drop' },
      ]),
    });
    try {
      const attempts: number[] = [];
      monitor = await startMonitor(config(proxy.url, { timeout: '1500ms', retransmit: '300ms' }), {
        maxCycles: 1,
        serve: false,
        onCycle: (r) => attempts.push(...r.directions.map((d) => d.attempts)),
      });
      await monitor.done;
      // One send per retransmit period at most (1500 / 300 = 5): a loop with no wait sent hundreds.
      expect(attempts.length).toBe(2);
      for (const n of attempts) expect(n).toBeLessThanOrEqual(6);
    } finally {
      await monitor?.stop();
      await proxy.close();
    }
  });

  it('survives a target outage: counts failed probes, reconnects with backoff, recovers', async () => {
    const s = await withServer();
    const { port, dbPath } = s;
    const registry = new Registry();
    const results: boolean[] = [];
    let outage: Promise<void> | undefined;
    let recovered!: () => void;
    const recovery = new Promise<void>((r) => (recovered = r));
    monitor = await startMonitor(config(s.url, { timeout: '300ms' }), {
      registry,
      serve: false,
      onCycle: (r) => {
        results.push(r.success);
        // After two good cycles, take the target down; once three failed, bring it back.
        if (results.length === 2) outage = s.close();
        const failures = results.filter((ok) => !ok).length;
        if (failures === 3 && server === s) {
          server = undefined;
          void outage!.then(async () => {
            server = await startServer({ port, db: dbPath, hmacSecret: SECRET });
          });
        }
        if (failures >= 3 && r.success) recovered();
      },
    });
    await recovery;
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(results.filter((ok) => !ok).length).toBeGreaterThanOrEqual(3);
    expect(results.at(-1)).toBe(true);
    expect(await sample(registry, 'imspec_probe_failures_total')).toBeGreaterThanOrEqual(3);
    expect(await sample(registry, 'imspec_probe_success')).toBe(1);
  });
});
