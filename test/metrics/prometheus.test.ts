/**
 * Proof against the real thing: Debian's Prometheus scrapes imspec's /metrics (OpenMetrics
 * negotiated), and every PromQL expression of every dashboard panel — template variables
 * substituted as Grafana would — returns data through the Prometheus HTTP API. Retransmit rate
 * is above zero for a run under loss and exactly zero for a clean one. The Pushgateway path is
 * checked end to end: push, scrape, query.
 */

import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  DASHBOARD_FILES,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import { History } from '../../src/history/events.js';
import { attachHistoryMetrics, recordCaseResult, recordCheckStats } from '../../src/metrics/from-history.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { recordProbe } from '../../src/metrics/probe.js';
import { deleteFromGateway, pushToGateway } from '../../src/metrics/pushgateway.js';
import { createMetrics, type ImspecMetrics } from '../../src/metrics/registry.js';
import {
  query,
  type RunningBinary,
  startPrometheus,
  startPushgateway,
  waitFor,
} from '../helpers/prometheus.js';
import { replayDeliveries } from './fixtures.js';

const JOB = 'imspec-test';
/** Grafana's variables for an instant query; 20 s covers ≥ 15 scrapes at 1 s. */
const VARS = { job: JOB, scenario: '.*', __rate_interval: '20s', __range: '5m', __interval: '1s' };

let prometheus: RunningBinary | undefined;
let pushgateway: RunningBinary | undefined;
let exporter: MetricsServer | undefined;
let metrics: ImspecMetrics;

const base = (scenario: string) => ({ scenario, driver: 'ran', suite: 'observability' });

beforeAll(async () => {
  const registry = new Registry();
  metrics = createMetrics(registry);
  exporter = await startMetricsServer({ registry });
  pushgateway = await startPushgateway();
  prometheus = await startPrometheus([
    { job: JOB, targets: [new URL(exporter.url).host] },
    { job: 'pushgateway', targets: [new URL(pushgateway.url).host], honorLabels: true },
  ]);
});

afterAll(async () => {
  await prometheus?.stop();
  await pushgateway?.stop();
  await exporter?.close();
});

describe('dashboards against a real Prometheus', () => {
  it('answer every panel expression with data, and retransmit rate > 0 under loss and 0 without', async () => {
    const loss = new History();
    const clean = new History();
    attachHistoryMetrics(loss, metrics, base('loss'));
    attachHistoryMetrics(clean, metrics, base('clean'));
    const prom = prometheus!.url;
    // A counter must be seen before it moves, or rate() reads its first value as no increase.
    await waitFor('first scrape of the zero-initialised series', async () => {
      const r = await query(prom, `imspec_retransmits_total{job="${JOB}",scenario="loss",reason="timeout"}`);
      return r.length > 0 ? r : undefined;
    });

    replayDeliveries(loss, { messages: 40, lossEvery: 4, t0: 0 });
    replayDeliveries(clean, { messages: 40, t0: 0 });
    recordCheckStats(metrics, { lost: 1, appDuplicates: 1 } as never, base('loss'));
    recordCaseResult(metrics, { id: 'loss', suite: 'observability', verdict: 'FAIL' }, 'ran');
    recordCaseResult(metrics, { id: 'clean', suite: 'observability', verdict: 'PASS' }, 'ran');
    recordProbe(metrics, base('monitor'), { success: true, durationSeconds: 0.012 });

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

    const empty: string[] = [];
    for (const e of expressions) {
      const result = await query(prom, substituteVariables(e.expr, VARS));
      if (result.length === 0) empty.push(`${e.dashboard} / ${e.panel} [${e.refId}]: ${e.expr}`);
    }
    expect(empty, 'panel expressions that returned no data').toEqual([]);
    expect(expressions.length).toBeGreaterThan(25);

    const lossy = await rate('loss');
    expect(lossy.map((s) => s.metric['reason'])).toContain('timeout');
    expect(Number(lossy.find((s) => s.metric['reason'] === 'timeout')!.value[1])).toBeGreaterThan(0);
    const cleanRate = await rate('clean');
    expect(cleanRate.length).toBeGreaterThan(0);
    for (const s of cleanRate) expect(Number(s.value[1])).toBe(0);
  });

  it('push final values to the Pushgateway with job, run id and suite, and Prometheus scrapes them', async () => {
    const registry = new Registry();
    const run = createMetrics(registry);
    const history = new History();
    attachHistoryMetrics(history, run, base('short-ci-run'));
    replayDeliveries(history, { messages: 7, t0: 0 });
    const grouping = { run_id: `r${process.pid}`, suite: 'observability' };
    await pushToGateway({ url: pushgateway!.url, registry, job: 'imspec-ci', grouping });
    const sent = await waitFor('pushed metrics scraped through the Pushgateway', async () => {
      const r = await query(
        prometheus!.url,
        `imspec_messages_sent_total{job="imspec-ci",run_id="${grouping.run_id}",suite="observability"}`,
      );
      return r.length > 0 ? r : undefined;
    });
    expect(sent.map((s) => Number(s.value[1]))).toEqual([7]);
    await deleteFromGateway({ url: pushgateway!.url, job: 'imspec-ci', grouping });
  });
});
