/**
 * Proof against the real thing: Debian's Prometheus scrapes imspec's /metrics (OpenMetrics
 * negotiated) while two monitors probe in-process reference servers — one directly, one through
 * the frame-aware fault proxy dropping receipts and pushes — and a fault-run history (drops,
 * verdicts) is replayed through the listener. Every PromQL expression of every dashboard
 * panel, template variables substituted as Grafana would, must return data through the
 * Prometheus HTTP API; retransmit rate must be above zero under loss and exactly zero without.
 * The Pushgateway path is checked end to end with a real conformance run (lost-msg-a): push,
 * scrape, query.
 */

import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  DASHBOARD_FILES,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startWsProxy, type WsProxy } from '../../src/faults/ws-proxy.js';
import { History } from '../../src/history/events.js';
import type { LoadResult } from '../../src/load/result.js';
import { runLoad } from '../../src/load/run-load.js';
import { attachHistoryMetrics, recordCaseResult, recordCheckStats } from '../../src/metrics/from-history.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { deleteFromGateway, pushToGateway } from '../../src/metrics/pushgateway.js';
import { createMetrics, type ImspecMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import { labelTarget } from '../../src/metrics/target.js';
import { type RunningMonitor, startMonitor } from '../../src/monitor/monitor.js';
import { RollingHistory } from '../../src/monitor/rolling-history.js';
import { runSuites } from '../../src/runner/run.js';
import type { FaultName } from '../../src/server/faults.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { canaryConfig } from '../helpers/canary-monitor.js';
import {
  grafanaVars,
  query,
  type RunningBinary,
  startPrometheus,
  startPushgateway,
  waitFor,
} from '../helpers/prometheus.js';
import { replayDeliveries } from './fixtures.js';

const JOB = 'imspec-test';
/** The `target` label of the exporter's registry; the panels are queried for it, not All. */
const TARGET = 'reference-server';
const VARS = { ...grafanaVars(JOB), target: TARGET };
/** The shipped rules: the burn-rate panel reads their recording rules. */
const RULES = fileURLToPath(new URL('../../dashboards/imspec-alerts.rules.yml', import.meta.url));

let prometheus: RunningBinary | undefined;
let pushgateway: RunningBinary | undefined;
let exporter: MetricsServer | undefined;
let metrics: ImspecMetrics;
const servers: RunningServer[] = [];
const monitors: RunningMonitor[] = [];
const proxies: WsProxy[] = [];
let loadRun: LoadResult | undefined;

const base = (scenario: string) => ({ scenario, driver: 'ran', suite: 'observability' });
const SECRET = 'prometheus-test';

/**
 * A monitor labelled `scenario` probing a reference server (with server `faults`), through the
 * fault proxy when `rules` are given (its injections recorded in the monitor's history).
 */
async function monitorAgainst(
  registry: Registry,
  scenario: string,
  { rules = [], faults = [] }: { rules?: unknown[]; faults?: FaultName[] },
  timing: { retransmit: string; timeout: string },
) {
  const server = await startServer({ port: 0, hmacSecret: SECRET, repushMs: 500, faults });
  servers.push(server);
  const history = new RollingHistory(1_000);
  let target = server.url;
  if (rules.length > 0) {
    const proxy = await startWsProxy({ upstream: server.url, rules: resolveFaultRules(rules), history });
    proxies.push(proxy);
    target = proxy.url;
  }
  const config = canaryConfig(target, scenario, SECRET, { suite: 'observability', ...timing });
  monitors.push(await startMonitor(config, { registry, serve: false, history }));
}

beforeAll(async () => {
  const registry = new Registry();
  labelTarget(registry, TARGET);
  metrics = createMetrics(registry);
  exporter = await startMetricsServer({ registry });
  // Injected loss: half the ack:N receipts and a fifth of the msg:N pushes vanish in the proxy.
  // Senders retransmit (the dedup answer re-sends the receipt, DEDUP-3) and the server re-pushes;
  // its seq-gap fault skips every 7th seq, so receivers also see gaps and refetch. The clean
  // monitor's 5 s retransmit timer never fires on loopback, even on a loaded machine.
  const rules = [
    { match: { op: 'ack', kind: 'N' }, probability: 0.5, action: 'drop' },
    { match: { op: 'msg', kind: 'N' }, probability: 0.2, action: 'drop' },
  ];
  await monitorAgainst(
    registry,
    'loss',
    { rules, faults: ['seq-gap'] },
    { retransmit: '150ms', timeout: '2s' },
  );
  await monitorAgainst(registry, 'clean', {}, { retransmit: '5s', timeout: '10s' });
  pushgateway = await startPushgateway();
  prometheus = await startPrometheus(
    [
      { job: JOB, targets: [new URL(exporter.url).host] },
      { job: 'pushgateway', targets: [new URL(pushgateway.url).host], honorLabels: true },
    ],
    { ruleFiles: [RULES] },
  );
  // A real load run (in this process) while Prometheus scrapes: the load panels' series. They
  // exist at zero before it starts, and Prometheus must have seen them so before they move: a
  // series first scraped already at its final value shows no increase to rate() (the run is
  // short, and on a busy machine its first scrape can come after it).
  metrics.zeroInit({ scenario: 'load-metrics', driver: 'ran', suite: 'load' });
  await waitFor('first scrape of the load series at zero', async () => {
    const r = await query(
      prometheus!.url,
      `imspec_load_sends_scheduled_total{job="${JOB}",scenario="load-metrics"}`,
    );
    return r.length > 0 ? r : undefined;
  });
  loadRun = await runLoad({ profile: 'test/load/profiles/metrics.yaml', reports: [], seed: 3 }, { metrics });
});

afterAll(async () => {
  await Promise.all(monitors.map((m) => m.stop()));
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  await prometheus?.stop();
  await pushgateway?.stop();
  await exporter?.close();
});

describe('dashboards against a real Prometheus', () => {
  it('answer every panel expression with data, and retransmit rate > 0 under loss and 0 without', async () => {
    const faultRun = new History();
    attachHistoryMetrics(faultRun, metrics, base('fault-replay'));
    const prom = prometheus!.url;
    // A counter must be seen before it moves, or rate() reads its first value as no increase.
    await waitFor('first scrape of the zero-initialised series', async () => {
      const r = await query(
        prom,
        `imspec_faults_injected_total{job="${JOB}",scenario="fault-replay",fault="drop"}`,
      );
      return r.length > 0 ? r : undefined;
    });
    replayDeliveries(faultRun, { messages: 40, lossEvery: 4, t0: 0 });
    // A crash and its restart, for the kills-and-restarts annotation.
    faultRun.append({ kind: 'target', t: 50_000, action: 'kill' });
    faultRun.append({ kind: 'target', t: 50_100, action: 'restart', detail: 'same data' });
    recordCheckStats(metrics, { lost: 1, appDuplicates: 1 } as never, base('fault-replay'));
    recordCaseResult(
      metrics,
      {
        id: 'fault-replay',
        suite: 'observability',
        verdict: 'FAIL',
        findings: [{ requirement: 'DEDUP-2', level: 'MUST' } as never],
      },
      'ran',
    );
    recordCaseResult(metrics, { id: 'clean', suite: 'observability', verdict: 'PASS' }, 'ran');

    const expressions = Object.values(DASHBOARD_FILES).flatMap((make) =>
      panelExpressions(buildDashboard(make)),
    );
    const retransmitPanel = expressions.find((e) => e.panel === 'Retransmit rate')!;
    const rate = (scenario: string) =>
      query(prom, substituteVariables(retransmitPanel.expr, { ...VARS, scenario }));
    await waitFor('retransmits of the lossy run to show in rate()', async () => {
      const r = await rate('loss');
      return r.some((s) => Number(s.value[1]) > 0) ? r : undefined;
    });

    // The verdict gauges were set just now: wait for a scrape that holds them.
    await waitFor('the verdict gauges scraped', async () => {
      const r = await query(prom, `imspec_case_verdict{job="${JOB}",scenario="fault-replay",verdict="FAIL"}`);
      return r.length > 0 ? r : undefined;
    });
    const empty: string[] = [];
    for (const e of expressions) {
      const result = await query(prom, substituteVariables(e.expr, VARS));
      if (result.length === 0) empty.push(`${e.dashboard} / ${e.panel} [${e.refId}]: ${e.expr}`);
    }
    expect(empty, 'panel expressions that returned no data').toEqual([]);
    expect(expressions.length).toBeGreaterThan(25);
    // Every series of the exporter carries the target label, so the $target variable lists it.
    const unlabelled = await query(prom, `count({job="${JOB}",__name__=~"imspec_.+",target!="${TARGET}"})`);
    expect(unlabelled).toEqual([]);
    const targets = await query(prom, `count by (target) (imspec_frames_total{job="${JOB}"})`);
    expect(targets.map((s) => s.metric['target'])).toEqual([TARGET]);

    const lossy = await rate('loss');
    expect(Number(lossy.find((s) => s.metric['reason'] === 'timeout')!.value[1])).toBeGreaterThan(0);
    const cleanRate = await rate('clean');
    expect(cleanRate.map((s) => s.metric['reason']).sort()).toEqual(['reconnect', 'timeout']);
    for (const s of cleanRate) expect(Number(s.value[1])).toBe(0);
    // The clean monitor really ran: its canaries were delivered and its probe succeeds.
    const delivered = await query(
      prom,
      `sum(rate(imspec_messages_delivered_total{job="${JOB}",scenario="clean"}[20s]))`,
    );
    expect(Number(delivered[0]!.value[1])).toBeGreaterThan(0);
    const probe = await query(prom, `imspec_probe_success{job="${JOB}",scenario="clean"}`);
    expect(probe.map((s) => s.value[1])).toEqual(['1']);
    const faults = await query(
      prom,
      `sum(increase(imspec_faults_injected_total{job="${JOB}",scenario="loss",fault="drop"}[1m]))`,
    );
    expect(Number(faults[0]!.value[1])).toBeGreaterThan(0);
    // seq-gap skips every 7th seq: the lossy monitor's receivers see gaps and refetch them (sync
    // pages), and the refetch shows the skipped seq missing: a hole (SEQ-1) once no push brought
    // it within the canary timeout. The clean monitor's receivers see none.
    await waitFor('refetches of the seq-gap server’s gaps', async () => {
      const r = await query(
        prom,
        `sum(increase(imspec_sync_pages_total{job="${JOB}",scenario="loss"}[20s])) > 0`,
      );
      return r.length > 0 ? r : undefined;
    });
    await waitFor('the seq-gap server’s holes', async () => {
      const r = await query(prom, `sum(imspec_seq_gaps_total{job="${JOB}",scenario="loss"}) > 0`);
      return r.length > 0 ? r : undefined;
    });
    const clean = await query(prom, `sum(imspec_seq_gaps_total{job="${JOB}",scenario="clean"})`);
    expect(clean.map((s) => s.value[1])).toEqual(['0']);
  });

  it('show a load run: offered above achieved when windows are full, dropped by reason, bots connected', async () => {
    const prom = prometheus!.url;
    // The load ran in beforeAll, minutes ago on a busy machine: a window that still holds it.
    const vars = { ...VARS, scenario: 'load-metrics', __rate_interval: '15m' };
    const expressions = panelExpressions(buildDashboard(DASHBOARD_FILES['imspec-delivery-health.json']));
    const panel = (title: string) => expressions.filter((e) => e.panel === title);
    const value = async (expr: string, labels: Record<string, string> = {}) => {
      const r = await query(prom, substituteVariables(expr, vars));
      const s = r.find((x) => Object.entries(labels).every(([k, v]) => x.metric[k] === v));
      return s === undefined ? Number.NaN : Number(s.value[1]);
    };
    expect(loadRun!.dropped.window).toBeGreaterThan(0);
    const [offered, achieved] = panel('Offered vs achieved send rate');
    await waitFor('the load run in rate()', async () =>
      (await value(offered!.expr)) > 0 ? true : undefined,
    );
    expect(await value(offered!.expr)).toBeGreaterThan(await value(achieved!.expr));
    expect(await value(achieved!.expr)).toBeGreaterThan(0);
    expect(await value(panel('Dropped sends by reason')[0]!.expr, { reason: 'window' })).toBeGreaterThan(0);
    expect(await value(panel('Dropped sends by reason')[0]!.expr, { reason: 'no-bot' })).toBe(0);
    expect(await value(panel('Load bots connected')[0]!.expr)).toBe(0);
    expect(await value(panel('Messages in flight')[0]!.expr)).toBe(0);
    // The counters equal the run's own figures.
    expect(await value(`sum(imspec_load_sends_scheduled_total{job="${JOB}",scenario="load-metrics"})`)).toBe(
      loadRun!.schedule.offered,
    );
    expect(await value(`sum(imspec_load_sends_dropped_total{job="${JOB}",scenario="load-metrics"})`)).toBe(
      loadRun!.dropped.total,
    );
  });

  it("push a real run's final values to the Pushgateway with job, run id and suite; Prometheus scrapes them", async () => {
    const registry = new Registry();
    const wiring = runMetrics(createMetrics(registry), 'ran');
    const result = await runSuites(
      { paths: ['suites/core'], only: ['lost-msg-a'], reports: [], seed: 7 },
      { onHistory: wiring.onHistory, reporters: [wiring.reporter] },
    );
    const grouping = { run_id: result.runId, suite: 'core' };
    await pushToGateway({ url: pushgateway!.url, registry, job: 'imspec-ci', grouping });
    const retransmits = await waitFor('pushed metrics scraped through the Pushgateway', async () => {
      const r = await query(
        prometheus!.url,
        `sum(imspec_retransmits_total{job="imspec-ci",run_id="${result.runId}",suite="core",scenario="lost-msg-a"})`,
      );
      return r.length > 0 ? r : undefined;
    });
    expect(Number(retransmits[0]!.value[1])).toBeGreaterThan(0);
    const verdict = await query(
      prometheus!.url,
      `imspec_case_verdict{job="imspec-ci",run_id="${result.runId}",scenario="lost-msg-a",verdict="${result.cases[0]!.verdict}"}`,
    );
    expect(verdict.map((s) => s.value[1])).toEqual(['1']);
    await deleteFromGateway({ url: pushgateway!.url, job: 'imspec-ci', grouping });
  });
});
