/**
 * Latency exemplars on a real Prometheus: Debian's Prometheus with exemplar storage scrapes
 * `/metrics` (it asks for OpenMetrics, the only format that carries exemplars) while a real
 * conformance run goes against the embedded reference server: `happy-six-frames` (fast
 * messages) and `lost-push-repush` (bob's bot loses the push, the server pushes it again after
 * its re-push timeout — a latency outlier). Every exemplar Prometheus returns names a
 * message of the run (its cmid, and the smid the server gave it), sits in the bucket its value
 * belongs to, and for end-to-end latency carries exactly that message's send-to-commit time from
 * the run's history; the outlier bucket names the re-pushed message. The dashboards' latency
 * panels ask for exemplars, and their own queries get these exemplars back.
 */

import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  DASHBOARD_FILES,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { awaitScrape, type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import type { RunResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';
import { SUITE_TIMERS } from '../../src/runner/run-targets.js';
import {
  type ExemplarSeries,
  grafanaVars,
  queryExemplars,
  type RunningBinary,
  startPrometheus,
  waitFor,
} from '../helpers/prometheus.js';

const JOB = 'imspec-exemplars';

let prometheus: RunningBinary | undefined;
let exporter: MetricsServer | undefined;
let result: RunResult;
let start = 0;
/** Per scenario: cmid → { smid the server answered with, send-to-first-commit seconds }. */
const messages = new Map<string, Map<string, { smid?: string; sent?: number; delivery?: number }>>();

beforeAll(async () => {
  const registry = new Registry();
  exporter = await startMetricsServer({ registry });
  prometheus = await startPrometheus([{ job: JOB, targets: [new URL(exporter.url).host] }], {
    features: ['exemplar-storage'],
  });
  start = Date.now() / 1000 - 1;
  const wiring = runMetrics(createMetrics(registry), 'ran');
  result = await runSuites(
    { paths: ['suites/core'], only: ['happy-six-frames', 'lost-push-repush'], reports: [], seed: 7 },
    {
      onPlan: async (scenarios) => {
        wiring.plan(scenarios);
        await awaitScrape(exporter!, 30_000, 'first');
      },
      onHistory: (history, scenario) => {
        wiring.onHistory(history, scenario);
        const own = new Map<string, { smid?: string; sent?: number; delivery?: number }>();
        messages.set(scenario.id, own);
        const at = (cmid: string) => own.get(cmid) ?? own.set(cmid, {}).get(cmid)!;
        history.subscribe((e: HistoryEvent) => {
          if (e.kind === 'send') at(e.cmid).sent = e.t;
          else if (e.kind === 'commit') {
            const m = at(e.cmid);
            if (m.delivery === undefined && m.sent !== undefined) m.delivery = (e.t - m.sent) / 1000;
          } else if (e.kind === 'frame' && e.type === 'msg:A' && typeof e.fields['cmid'] === 'string') {
            at(e.fields['cmid']).smid = String(e.fields['smid']);
          }
        });
      },
      reporters: [wiring.reporter],
    },
  );
  await awaitScrape(exporter, 30_000, 'final');
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const bucketOf = (le: string) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));

/** The exemplars of one histogram for one scenario, once Prometheus has them all. */
async function exemplars(metric: string, scenario: string, extra = ''): Promise<ExemplarSeries[]> {
  return waitFor(`${metric} exemplars of ${scenario}`, async () => {
    const series = await queryExemplars(
      prometheus!.url,
      `${metric}_bucket{job="${JOB}",scenario="${scenario}"${extra}}`,
      start,
      Date.now() / 1000,
    );
    return series.some((s) => s.exemplars.length > 0) ? series : undefined;
  });
}

describe('latency exemplars on a real Prometheus', () => {
  it('name a message of the run in the bucket of its latency, with the latency the history shows', async () => {
    expect(result.cases.map((c) => [c.id, c.verdict])).toEqual([
      ['happy-six-frames', 'PASS'],
      ['lost-push-repush', 'PASS'],
    ]);
    for (const scenario of ['happy-six-frames', 'lost-push-repush']) {
      const own = messages.get(scenario)!;
      for (const [metric, extra] of [
        ['imspec_ack_latency_seconds', ',ack="msg_a"'],
        ['imspec_ack_latency_seconds', ',ack="ack_n"'],
        ['imspec_delivery_latency_seconds', ''],
      ] as const) {
        const series = await exemplars(metric, scenario, extra);
        for (const s of series) {
          for (const x of s.exemplars) {
            const what = `${metric}${extra} ${scenario} le=${s.seriesLabels['le']} ${JSON.stringify(x)}`;
            const m = own.get(x.labels['cmid']!);
            expect(m, `${what}: a message the run sent`).toBeDefined();
            expect(m!.sent, what).toBeDefined();
            expect(x.labels['smid'], what).toBe(m!.smid);
            const value = Number(x.value);
            const le = bucketOf(s.seriesLabels['le']!);
            expect(value, what).toBeLessThanOrEqual(le);
            if (metric === 'imspec_delivery_latency_seconds')
              expect(value, what).toBeCloseTo(m!.delivery!, 6);
          }
        }
      }
    }
    // The re-pushed message is the outlier: its delivery exemplar sits beyond the re-push timeout.
    const repush = await exemplars('imspec_delivery_latency_seconds', 'lost-push-repush');
    // The suite sets it (run-targets.ts); EmbeddedTimers leaves it optional for other callers.
    const repushS = SUITE_TIMERS.repushMs! / 1000;
    const slow = repush.flatMap((s) => s.exemplars).filter((x) => Number(x.value) >= repushS);
    const [cmid] = [...messages.get('lost-push-repush')!.keys()];
    expect(slow.map((x) => x.labels['cmid'])).toEqual([cmid]);
  });

  it("come back for the dashboards' latency panels, which ask for them", async () => {
    const vars = grafanaVars(JOB);
    const asking = Object.values(DASHBOARD_FILES)
      .flatMap((make) => panelExpressions(buildDashboard(make)))
      .filter((e) => e.exemplar);
    expect(asking.map((e) => e.panel).sort()).toEqual([
      'Delivery latency p99 per scenario',
      'End-to-end delivery latency',
      'ack:N latency (p50 / p90 / p99)',
      'msg:A latency (p50 / p90 / p99)',
    ]);
    const sent = new Set([...messages.values()].flatMap((own) => [...own.keys()]));
    for (const e of asking) {
      const series = await queryExemplars(
        prometheus!.url,
        substituteVariables(e.expr, vars),
        start,
        Date.now() / 1000,
      );
      const cmids = series.flatMap((s) => s.exemplars.map((x) => x.labels['cmid']!));
      expect(cmids.length, `${e.dashboard} / ${e.panel}`).toBeGreaterThan(0);
      for (const cmid of cmids) expect(sent.has(cmid), `${e.panel}: ${cmid}`).toBe(true);
    }
  });
});
