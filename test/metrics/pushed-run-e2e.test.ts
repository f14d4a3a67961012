/**
 * A run pushed to a real Pushgateway at its end, read on a real Prometheus: every figure the
 * report has for seq gaps (SEQ-1) and unknown outcomes is the metric's, and the dashboards'
 * range panels show the run's report figures for its run_id (a pushed series is one final value:
 * increase() over it read 0). gap-refetch's receiver sees a gap it refetches (no SEQ-1 hole on a
 * healthy inbox); seq-gap leaves real holes; drop-answer leaves msg:R unanswered (unknown outcomes
 * the receiver got anyway).
 */

import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  DASHBOARD_FILES,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { pushToGateway } from '../../src/metrics/pushgateway.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import { labelTarget } from '../../src/metrics/target.js';
import type { CaseResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';
import {
  grafanaVars,
  query,
  type RunningBinary,
  startPrometheus,
  startPushgateway,
  waitFor,
} from '../helpers/prometheus.js';

let prometheus: RunningBinary | undefined;
let pushgateway: RunningBinary | undefined;
let exporter: MetricsServer | undefined;
let cases: CaseResult[] = [];
const runId = `pushed-${process.pid}`;

beforeAll(async () => {
  // The run is scraped too (`--metrics-port` beside `--pushgateway`), under the same job.
  const registry = new Registry();
  labelTarget(registry, 'embedded');
  exporter = await startMetricsServer({ registry });
  pushgateway = await startPushgateway();
  prometheus = await startPrometheus([
    { job: 'imspec', targets: [new URL(exporter.url).host] },
    { job: 'pushgateway', targets: [new URL(pushgateway.url).host], honorLabels: true },
  ]);
  const wiring = runMetrics(createMetrics(registry), 'ran');
  const result = await runSuites(
    {
      paths: ['suites/core'],
      only: ['gap-refetch', 'requests-answered'],
      reports: [],
      seed: 7,
      serverFaults: ['seq-gap', 'drop-answer'],
    },
    { onHistory: wiring.onHistory, reporters: [wiring.reporter] },
  );
  cases = result.cases;
  await pushToGateway({ url: pushgateway.url, registry, job: 'imspec', grouping: { run_id: runId } });
  // Three scrapes of the pushed group: increase() over it then reads 0, as on a dashboard.
  await waitFor('the pushed run scraped three times', async () => {
    const n = await query(prometheus!.url, `count_over_time(imspec_seq_gaps_total{run_id="${runId}"}[5m])`);
    return n.length > 0 && n.every((r) => Number(r.value[1]) >= 3) ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await pushgateway?.stop();
  await exporter?.close();
});

const one = async (expr: string): Promise<number | undefined> => {
  const r = await query(prometheus!.url, expr);
  return r.length === 0 ? undefined : Number(r[0]!.value[1]);
};
const sum = (f: (c: CaseResult) => number) => cases.reduce((a, c) => a + f(c), 0);

describe('a run pushed to the Pushgateway, on a real Prometheus', () => {
  it('has the report’s seq gaps and unknown outcomes, case by case', async () => {
    const report: Record<string, number[]> = {};
    const pushed: Record<string, (number | undefined)[]> = {};
    for (const c of cases) {
      const s = c.stats!;
      report[c.id] = [s.seqGaps, s.unknownOutcome - s.recovered, s.recovered];
      const at = `scenario="${c.id}",run_id="${runId}"`;
      pushed[c.id] = [
        await one(`imspec_seq_gaps_total{${at}}`),
        await one(`imspec_messages_unknown_outcome_total{${at},recovered="false"}`),
        await one(`imspec_messages_unknown_outcome_total{${at},recovered="true"}`),
      ];
    }
    // Both figures move in this run; the receiver's own gap (gap-refetch) is no SEQ-1 hole.
    expect(sum((c) => c.stats!.seqGaps)).toBeGreaterThan(0);
    expect(sum((c) => c.stats!.unknownOutcome)).toBeGreaterThan(0);
    expect(pushed).toEqual(report);
  });

  const panels = [
    ...panelExpressions(buildDashboard(DASHBOARD_FILES['imspec-delivery-health.json'])),
    ...panelExpressions(buildDashboard(DASHBOARD_FILES['imspec-fault-run.json'])),
  ];
  /** The report's totals, and what the range panels show with `run_id` set to `runIdVar`. */
  const totals = async (runIdVar: string) => {
    const vars = { ...grafanaVars('imspec'), run_id: runIdVar };
    const panel = async (title: string, refId = 'A') => {
      const p = panels.find((x) => x.panel === title && x.refId === refId)!;
      return one(substituteVariables(p.expr, vars));
    };
    const report = {
      lost: sum((c) => c.stats!.lost),
      seqGaps: sum((c) => c.stats!.seqGaps),
      unrecovered: sum((c) => c.stats!.unknownOutcome - c.stats!.recovered),
      recovered: sum((c) => c.stats!.recovered),
      deliveryRatio: sum((c) => c.stats!.delivered) / sum((c) => c.stats!.sent),
      findings: sum((c) => c.findings.length),
    };
    const findings = panels.find((p) => p.panel === 'Findings by requirement')!.expr;
    const shown = {
      lost: await panel('Lost under faults'),
      seqGaps: await panel('Seq gaps under faults'),
      unrecovered: await panel('Unknown outcome', 'A'),
      recovered: await panel('Unknown outcome', 'B'),
      deliveryRatio: await panel('Delivery ratio'),
      findings: (await query(prometheus!.url, substituteVariables(findings, vars))).reduce(
        (a, r) => a + Number(r.value[1]),
        0,
      ),
    };
    return { report, shown };
  };

  it('shows the report’s figures on the dashboards’ range panels for its run_id', async () => {
    const { report, shown } = await totals(runId);
    expect(report.seqGaps * report.recovered * report.findings).toBeGreaterThan(0);
    expect(shown).toEqual(report);
  });

  it('counts a run both scraped and pushed once, by its pushed values (run_id All)', async () => {
    await waitFor('the final values scraped', async () =>
      (await one(`sum(imspec_seq_gaps_total{job="imspec",run_id=""})`)) === sum((c) => c.stats!.seqGaps)
        ? true
        : undefined,
    );
    const { report, shown } = await totals('.*');
    expect(shown).toEqual(report);
  });
});
