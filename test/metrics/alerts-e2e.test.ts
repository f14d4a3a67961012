/**
 * The shipped alert rules, end to end: a real Prometheus (1 s scrape and evaluation) loads
 * dashboards/imspec-alerts.rules.yml and scrapes real conformance runs against the reference
 * server with deliberate server faults, and real monitors against a lossy and a slow target.
 * The right alert goes off for each fault, and none for the same cases and a monitor against a
 * healthy server.
 *
 * Alerts without `for` (loss, app duplicates, schema violations) must be firing. Alerts with a
 * `for` of minutes (probe failing, probe absent, latency burn) must be active — their expression
 * true on real data, so Prometheus holds them pending; that they turn firing after their `for`
 * is alerts-for-e2e.test.ts (the same rules with `for` in seconds) and promtool's part, to the
 * minute (dashboards/imspec-alerts.test.yml), which keeps this test under a minute.
 *
 * The runs are wired as `imspec run --metrics-port` wires them (runMetrics, the onPlan wait for
 * a first scrape, one more scrape at the end), in this process so three faulty runs share the
 * wait. The healthy run comes after them, on a quieter machine: its cases send at a steady rate
 * (no burst of hundreds, whose queued msg:A answers rightly miss a 250 ms SLO) and inject nothing.
 */

import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitScrape, type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { createMetrics, type ImspecMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import { type RunningMonitor, startMonitor } from '../../src/monitor/monitor.js';
import type { RunResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';
import { type CanaryTarget, canaryConfig, canaryTarget } from '../helpers/canary-monitor.js';
import {
  type ActiveAlert,
  alerts,
  type RunningBinary,
  startPrometheus,
  waitFor,
} from '../helpers/prometheus.js';

const RULES = fileURLToPath(new URL('../../dashboards/imspec-alerts.rules.yml', import.meta.url));
const SECRET = 'alerts-e2e';

interface Exporter {
  registry: Registry;
  metrics: ImspecMetrics;
  server: MetricsServer;
}

const exporters: Exporter[] = [];
const targets: CanaryTarget[] = [];
const monitors: RunningMonitor[] = [];
let prometheus: RunningBinary | undefined;

async function exporter(): Promise<Exporter> {
  const registry = new Registry();
  const e = { registry, metrics: createMetrics(registry), server: await startMetricsServer({ registry }) };
  exporters.push(e);
  return e;
}

const host = (e: Exporter) => new URL(e.server.url).host;

/** A conformance run wired like `imspec run --metrics-port --metrics-linger 30s`. */
async function run(e: Exporter, only: string[], serverFaults: string[]): Promise<RunResult> {
  const wiring = runMetrics(e.metrics, 'ran');
  const result = await runSuites(
    { paths: ['suites/core'], only, reports: [], seed: 7, serverFaults },
    {
      onPlan: async (scenarios) => {
        wiring.plan(scenarios);
        await awaitScrape(e.server, 30_000, 'first');
      },
      onHistory: wiring.onHistory,
      reporters: [wiring.reporter],
    },
  );
  await awaitScrape(e.server, 30_000, 'final');
  return result;
}

/** A monitor (labelled `scenario`) filling `e`, against a reference server, through `rules`. */
async function monitor(e: Exporter, scenario: string, rules: unknown[], timing: Record<string, string>) {
  const target = await canaryTarget(SECRET, rules);
  targets.push(target);
  const config = canaryConfig(target.url, scenario, SECRET, { suite: 'monitor', ...timing });
  const m = await startMonitor(config, { registry: e.registry, serve: false });
  monitors.push(m);
  return m;
}

const active = (list: ActiveAlert[], name: string, labels: Record<string, string>) =>
  list.filter(
    (a) => a.labels['alertname'] === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  );

async function until(what: string, name: string, labels: Record<string, string>, states: string[]) {
  return waitFor(
    what,
    async () => {
      const found = active(await alerts(prometheus!.url), name, labels).filter((a) =>
        states.includes(a.state),
      );
      return found.length ? found : undefined;
    },
    { timeoutMs: 40_000, intervalMs: 250 },
  );
}

let faulty: Record<'loss' | 'dup' | 'schema', Exporter>;
let healthy: Exporter;
let failingMonitor: Exporter;
let slowMonitor: Exporter;

beforeAll(async () => {
  faulty = { loss: await exporter(), dup: await exporter(), schema: await exporter() };
  healthy = await exporter();
  failingMonitor = await exporter();
  slowMonitor = await exporter();
  prometheus = await startPrometheus(
    [
      { job: 'imspec-faulty', targets: Object.values(faulty).map(host) },
      { job: 'imspec-healthy', targets: [host(healthy)] },
      // The job ImspecProbeAbsent watches.
      { job: 'imspec-monitor', targets: [host(failingMonitor)] },
      { job: 'imspec-slow', targets: [host(slowMonitor)] },
    ],
    { ruleFiles: [RULES] },
  );
});

afterAll(async () => {
  await Promise.all(monitors.map((m) => m.stop()));
  await Promise.all(targets.map((t) => t.close()));
  await prometheus?.stop();
  await Promise.all(exporters.map((e) => e.server.close()));
});

describe('the shipped alert rules on a real Prometheus', () => {
  it('raise the right alert for each deliberate fault', async () => {
    // Every push is dropped on its way to the receiver: canaries are accepted, never delivered.
    await monitor(failingMonitor, 'monitor', [{ match: { op: 'msg', kind: 'N' }, action: 'drop' }], {
      retransmit: '150ms',
      timeout: '600ms',
    });
    // Every msg:A comes 300 ms late: all answers miss the 250 ms SLO, none is lost.
    await monitor(
      slowMonitor,
      'slow',
      [{ match: { op: 'msg', kind: 'A' }, action: { type: 'delay', by: '300ms' } }],
      { retransmit: '3s', timeout: '5s' },
    );
    const [loss, dup, schema] = await Promise.all([
      run(faulty.loss, ['lost-push-repush'], ['no-repush']),
      run(faulty.dup, ['lost-msg-a'], ['no-dedup']),
      run(faulty.schema, ['happy-six-frames'], ['bad-schema']),
    ]);
    // The runs judged as the alerts will: each fault FAILs its case.
    expect([loss, dup, schema].map((r) => r.cases[0]!.verdict)).toEqual(['FAIL', 'FAIL', 'FAIL']);

    const firing = ['firing'];
    await until('loss', 'ImspecMessageLoss', { job: 'imspec-faulty', scenario: 'lost-push-repush' }, firing);
    await until(
      'app duplicates',
      'ImspecAppDuplicates',
      { job: 'imspec-faulty', scenario: 'lost-msg-a' },
      firing,
    );
    const violations = await until(
      'schema violations',
      'ImspecSchemaViolations',
      { job: 'imspec-faulty', scenario: 'happy-six-frames' },
      firing,
    );
    expect(violations.every((a) => a.labels['op'] !== 'unknown')).toBe(true);
    // The monitor's canaries are lost too: loss fires for it, and its probe fails.
    await until('monitor loss', 'ImspecMessageLoss', { job: 'imspec-monitor', scenario: 'monitor' }, firing);
    const activeStates = ['pending', 'firing'];
    await until('probe failing', 'ImspecProbeFailing', { job: 'imspec-monitor' }, activeStates);
    await until('latency burn', 'ImspecAckLatencyBudgetBurnFast', { job: 'imspec-slow' }, activeStates);

    // Nothing the faults do not explain: no loss or duplicates for the slow target, no alert
    // for a fault that was not injected. (A loaded machine may stretch some msg:A answers of the
    // lossy monitor past 250 ms; its job is unhealthy anyway, so its SLO alerts are allowed.)
    const explained: Record<string, string[]> = {
      'imspec-faulty': [
        'ImspecMessageLoss',
        'ImspecAppDuplicates',
        'ImspecSchemaViolations',
        'ImspecRetransmitRateHigh',
        'ImspecWireDuplicateRateHigh',
      ],
      'imspec-monitor': [
        'ImspecMessageLoss',
        'ImspecProbeFailing',
        'ImspecRetransmitRateHigh',
        'ImspecAckLatencyBudgetBurnFast',
        'ImspecAckLatencyBudgetBurnSlow',
      ],
      'imspec-slow': ['ImspecAckLatencyBudgetBurnFast', 'ImspecAckLatencyBudgetBurnSlow'],
    };
    const unexpected = (await alerts(prometheus!.url)).filter(
      (a) => !explained[a.labels['job']!]?.includes(a.labels['alertname']!),
    );
    expect(unexpected.map((a) => a.labels)).toEqual([]);

    // The monitor goes away: its series go stale and ImspecProbeAbsent becomes active.
    await Promise.all(monitors.splice(0).map((m) => m.stop()));
    await failingMonitor.server.close();
    await until('probe absent', 'ImspecProbeAbsent', { job: 'imspec-monitor' }, activeStates);
  }, 60_000);

  it('raise nothing, not even pending, for the same kind of run and a monitor against a healthy server', async () => {
    const m = await monitor(healthy, 'monitor-healthy', [], { retransmit: '5s', timeout: '10s' });
    const clean = await run(healthy, ['happy-six-frames', 'sync-rules'], []);
    expect(clean.cases.map((c) => c.verdict)).toEqual(['PASS', 'PASS']);
    // A few more scrapes and rule evaluations over the final values and the monitor's cycles.
    for (let i = 0; i < 3; i++) await healthy.server.nextScrape(10_000);
    expect(m.last()?.success).toBe(true);
    const healthyAlerts = (await alerts(prometheus!.url)).filter((a) => a.labels['job'] === 'imspec-healthy');
    expect(healthyAlerts.map((a) => a.labels)).toEqual([]);
  }, 60_000);
});
