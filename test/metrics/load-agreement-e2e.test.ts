/**
 * A load run's numbers on a real Prometheus equal its report: the registry `imspec load` serves
 * (worker sums, OpenMetrics negotiated) scraped while it runs, and its final values pushed through
 * a real Pushgateway. Loss and a server without dedup make every figure move: retransmits, wire
 * and app duplicates, findings, dropped sends; a server that skips seqs SEQ-1's seq gaps (beside
 * the gaps the bots see under loss and refetch), and msg:R dropped at the end unknown outcomes.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatedRegistry } from '../../src/load/aggregate-registry.js';
import type { LoadResult } from '../../src/load/result.js';
import { runLoad } from '../../src/load/run-load.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { pushToGateway } from '../../src/metrics/pushgateway.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { labelTarget } from '../../src/metrics/target.js';
import {
  query,
  type RunningBinary,
  startPrometheus,
  startPushgateway,
  waitFor,
} from '../helpers/prometheus.js';

let prometheus: RunningBinary | undefined;
let pushgateway: RunningBinary | undefined;
let exporter: MetricsServer | undefined;
let result: LoadResult;

beforeAll(async () => {
  const registry = new AggregatedRegistry();
  labelTarget(registry, 'embedded');
  const metrics = createMetrics(registry);
  exporter = await startMetricsServer({ registry });
  pushgateway = await startPushgateway();
  prometheus = await startPrometheus([
    { job: 'scraped', targets: [new URL(exporter.url).host] },
    { job: 'pushgateway', targets: [new URL(pushgateway.url).host], honorLabels: true },
  ]);
  metrics.zeroInit({ scenario: 'load-agreement', driver: 'ran', suite: 'load' });
  await waitFor('a first scrape', async () => {
    const r = await query(prometheus!.url, 'imspec_messages_sent_total{job="scraped"}');
    return r.length > 0 ? r : undefined;
  });
  result = await runLoad(
    {
      profile: 'test/load/profiles/agreement.yaml',
      reports: [],
      quiet: true,
      seed: 11,
      // seq-gap: SEQ-1 holes beside the gaps the bots see and refetch under loss.
      serverFaults: ['no-dedup', 'seq-gap'],
    },
    { metrics, workerMetrics: registry },
  );
  await pushToGateway({
    url: pushgateway.url,
    registry,
    job: 'imspec-load',
    grouping: { run_id: result.runId },
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await pushgateway?.stop();
  await exporter?.close();
});

describe('a load run on a real Prometheus', () => {
  it('shows the numbers of its report, scraped and pushed', async () => {
    const c = result.counters;
    const findings = Object.values(result.findingCounts).reduce((a, b) => a + b, 0);
    expect(
      c.retransmits * c.wireDuplicates * c.appDuplicates * findings * result.dropped.total,
    ).toBeGreaterThan(0);
    // Not recovered is 1-3 of ~10 unknown outcomes here (the sends that found room in a window
    // after msg:R stopped getting through); compared whatever it is.
    expect(c.seqGaps * c.unknownOutcome * c.recovered).toBeGreaterThan(0);
    const report = {
      sent: c.sent,
      accepted: c.accepted,
      delivered: c.delivered,
      lost: c.lost,
      app: c.appDuplicates,
      wire: c.wireDuplicates,
      retransmits: c.retransmits,
      seqGaps: c.seqGaps,
      // The load threshold unknown_outcome, and the receiver's recoveries beside it.
      unknownOutcome: c.unknownOutcome - c.recovered,
      recovered: c.recovered,
      offered: result.schedule.offered,
      dropped: result.dropped.total,
      findings,
      msgA: result.latency['ack_latency.msg_a']!.count,
      ackN: result.latency['ack_latency.ack_n']!.count,
      delivery: result.latency['delivery_latency']!.count,
    };
    const figures = async (selector: string) => {
      const one = async (metric: string, extra = '') => {
        const r = await query(prometheus!.url, `sum(last_over_time(${metric}{${selector}${extra}}[5m]))`);
        return r.length === 0 ? undefined : Number(r[0]!.value[1]);
      };
      return {
        sent: await one('imspec_messages_sent_total'),
        accepted: await one('imspec_messages_accepted_total'),
        delivered: await one('imspec_messages_delivered_total'),
        lost: await one('imspec_messages_lost_total'),
        app: await one('imspec_duplicates_total', ',layer="app"'),
        wire: await one('imspec_duplicates_total', ',layer="wire"'),
        retransmits: await one('imspec_retransmits_total'),
        seqGaps: await one('imspec_seq_gaps_total'),
        unknownOutcome: await one('imspec_messages_unknown_outcome_total', ',recovered="false"'),
        recovered: await one('imspec_messages_unknown_outcome_total', ',recovered="true"'),
        offered: await one('imspec_load_sends_scheduled_total'),
        dropped: await one('imspec_load_sends_dropped_total'),
        findings: await one('imspec_findings_total'),
        msgA: await one('imspec_ack_latency_seconds_count', ',ack="msg_a"'),
        ackN: await one('imspec_ack_latency_seconds_count', ',ack="ack_n"'),
        delivery: await one('imspec_delivery_latency_seconds_count'),
      };
    };
    // The final values: a scrape after the run, and the pushed group (a few seconds at most).
    const scraped = () => figures('job="scraped"');
    const pushed = () => figures(`job="imspec-load",run_id="${result.runId}"`);
    const same = (a: object) => JSON.stringify(a) === JSON.stringify(report);
    await waitFor(
      'the final values scraped and pushed',
      async () => (same(await scraped()) && same(await pushed()) ? true : undefined),
      { timeoutMs: 10_000 },
    ).catch(() => undefined);
    expect(await scraped()).toEqual(report);
    expect(await pushed()).toEqual(report);
  });
});
