/**
 * The fault-run dashboard after the run: `imspec run --metrics-port` serves its verdicts while
 * it runs and then exits, so Prometheus marks the gauges stale. Its "Failing scenarios" and
 * "Verdict per scenario" panels must still show the run's verdicts over the range (they read 0
 * failing and no verdicts: `or vector(0)` over an instant query of stale gauges).
 */

import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  DASHBOARD_FILES,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import { recordCaseResult } from '../../src/metrics/from-history.js';
import { startMetricsServer } from '../../src/metrics/http.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { grafanaVars, query, type RunningBinary, startPrometheus, waitFor } from '../helpers/prometheus.js';

let prometheus: RunningBinary | undefined;
afterAll(async () => {
  await prometheus?.stop();
});

describe('the fault-run dashboard on a real Prometheus', () => {
  it('shows a finished run’s verdicts: 1 failing scenario, both verdicts', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    recordCaseResult(metrics, { id: 'a', suite: 's', verdict: 'FAIL' }, 'ran');
    recordCaseResult(metrics, { id: 'b', suite: 's', verdict: 'PASS' }, 'ran');
    const exporter = await startMetricsServer({ registry });
    prometheus = await startPrometheus([{ job: 'run', targets: [new URL(exporter.url).host] }]);
    const prom = prometheus.url;
    await waitFor('the verdicts scraped', async () =>
      (await query(prom, 'imspec_case_verdict{job="run"}')).length > 0 ? true : undefined,
    );
    // The run exits: the next scrape fails and the series go stale.
    await exporter.close();
    await waitFor('the verdicts stale', async () =>
      (await query(prom, 'imspec_case_verdict{job="run"}')).length === 0 ? true : undefined,
    );
    const panels = panelExpressions(buildDashboard(DASHBOARD_FILES['imspec-fault-run.json']));
    const expr = (title: string) =>
      substituteVariables(panels.find((p) => p.panel === title)!.expr, grafanaVars('run'));
    const failing = await query(prom, expr('Failing scenarios'));
    expect(failing.map((s) => Number(s.value[1]))).toEqual([1]);
    const verdicts = await query(prom, expr('Verdict per scenario'));
    expect(verdicts.map((s) => `${s.metric['scenario']} ${s.metric['verdict']}`).sort()).toEqual([
      'a FAIL',
      'b PASS',
    ]);
  });
});
