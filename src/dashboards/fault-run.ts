/**
 * "imspec — Fault run": what the injected faults did. Faults injected against the retransmits
 * and duplicates they caused over time, and the verdict of each scenario.
 */

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { annotations } from './annotations.js';
import { statPanel, tablePanel, timeSeriesPanel } from './panels.js';
import { name, quantile, RANGE_WINDOW, ratio, sel, sumIncrease, sumOverRange } from './promql.js';
import { variables } from './variables.js';

/**
 * Each case's last verdict within the range: a run whose /metrics is gone (it ended) has stale
 * gauges, which an instant query no longer returns; the panels read 0 failing then, for a run
 * whose report has failures. A scenario both scraped and pushed is one scenario.
 */
const lastVerdict = (extra: Record<string, string> = {}) =>
  `last_over_time(${name('caseVerdict')}${sel({}, extra)}[${RANGE_WINDOW}])`;

export function faultRun(): dashboard.DashboardBuilder {
  const d = new dashboard.DashboardBuilder('imspec — Fault run')
    .uid('imspec-fault-run')
    .description(
      "What injected faults (drops, duplicates, delays, kills) did to delivery, and each scenario's verdict.",
    )
    .tags(['imspec', 'faults'])
    .editable()
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables(variables())
    .annotations(annotations());

  d.withPanel(
    timeSeriesPanel({
      title: 'Faults injected vs retransmits and duplicates',
      description:
        'Faults injected per interval (by action) beside the retransmits and duplicates they caused. Retransmits and wire duplicates should follow drops and cuts, then return to 0; they staying high after the faults stop is bad (the system does not recover), and app duplicates at any time are bad.',
      unit: 'short',
      w: 24,
      h: 10,
      queries: [
        { expr: sumIncrease('faultsInjected', ['fault']), legend: 'fault: {{fault}}' },
        { expr: sumIncrease('retransmits', ['reason']), legend: 'retransmit: {{reason}}' },
        { expr: sumIncrease('duplicates', ['layer']), legend: 'duplicate: {{layer}}' },
      ],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Retransmits per fault',
      description:
        'Retransmits over the range divided by faults injected. Far above the number of messages a fault can hit (a few) is bad: retransmission storms, backoff not working.',
      unit: 'short',
      redFrom: 10,
      queries: [
        {
          expr: ratio(sumOverRange('retransmits'), sumOverRange('faultsInjected')),
          legend: 'ratio',
        },
      ],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Lost under faults',
      description:
        'Messages lost over the range. Any is bad: a fault the delivery model promises to survive (drop, duplicate, crash) lost an accepted message.',
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('messagesLost'), legend: 'lost' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Failing scenarios',
      description:
        'Scenarios whose last verdict is FAIL or ERROR. Above 0 is bad: a MUST of the protocol is broken (FAIL) or the kit could not run the case (ERROR).',
      unit: 'short',
      redFrom: 1,
      queries: [
        {
          expr: `count(count by (scenario, suite) (${lastVerdict({ verdict: 'FAIL|ERROR' })} == 1)) or vector(0)`,
          legend: 'failing',
        },
      ],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Seq gaps under faults',
      description:
        "Seqs missing from an inbox that no device ever got over the range, refetch included (SEQ-1, the report's seq gaps). Gaps a client saw while pushes were dropped and then refetched are not counted; any here is bad: the server's inbox has holes.",
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('seqGaps'), legend: 'gaps' }],
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Verdict per scenario',
      description:
        'The last verdict of each scenario (imspec_case_verdict == 1). FAIL (a MUST broken) and ERROR (the kit could not run it) are bad; WARN is a SHOULD broken; UNSUPPORTED means the server does not claim the capability.',
      unit: 'short',
      w: 12,
      h: 10,
      queries: [
        {
          expr: `max by (scenario, suite, driver, verdict) (${lastVerdict()} == 1)`,
          legend: '{{scenario}}',
        },
      ],
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Per-scenario damage',
      description:
        'Retransmits per scenario over the range. Compare with the faults the scenario injects: a scenario with no network fault and retransmits above 0 is bad (the server answers late).',
      unit: 'short',
      w: 12,
      h: 10,
      queries: [{ expr: sumOverRange('retransmits', ['scenario']), legend: '{{scenario}}' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Delivery latency p99 per scenario',
      description:
        'p99 of send to first commit, per scenario. Faults raise it by about one retransmit timeout; far beyond that is bad (backoff runs away, or re-push/sync are slow to recover).',
      unit: 's',
      w: 24,
      queries: [{ expr: quantile(0.99, 'deliveryLatency', {}, ['scenario']), legend: '{{scenario}}' }],
    }),
  );
  return d;
}
