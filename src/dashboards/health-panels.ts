/**
 * The SRE row of "imspec — Delivery health": the ratios an on-call reads first (delivery, loss,
 * delivered/accepted), monitor availability over 1 h / 1 d / 30 d, the ack-latency SLO burn rates
 * the recording rules compute (alert-rules.ts), and findings by requirement id. Every division
 * goes through ratio(), so an idle range shows no value instead of +Inf or NaN.
 */

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { BURN_WINDOWS, DEFAULT_SLO_OBJECTIVE, sloErrorRatio } from './alert-rules.js';
import { statPanel, tablePanel, timeSeriesPanel } from './panels.js';
import { name, ratio, sel, sumIncrease, sumOverRange } from './promql.js';

/** The delivery figures over the range (a pushed run's final values) or per interval (scraped). */
const over = (
  total: (key: 'messagesDelivered' | 'messagesSent' | 'messagesAccepted' | 'messagesLost') => string,
) => ({
  delivered: total('messagesDelivered'),
  sent: total('messagesSent'),
  accepted: total('messagesAccepted'),
  lost: total('messagesLost'),
});

export function withHealthPanels(d: dashboard.DashboardBuilder): void {
  const range = over(sumOverRange);
  const now = over(sumIncrease);
  d.withRow(new dashboard.RowBuilder('Ratios, availability and SLO'));
  d.withPanel(
    statPanel({
      title: 'Delivery ratio',
      description:
        'Messages delivered (first commit by the receiving app) per message sent, over the range. 100% is healthy; below it is bad once the range is longer than a message takes to arrive: messages are stuck, parked for offline receivers, or lost.',
      unit: 'percentunit',
      greenFrom: 0.999,
      queries: [{ expr: ratio(range.delivered, range.sent), legend: 'delivered / sent' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Loss ratio',
      description:
        'Messages lost per message accepted (msg:A), over the range. Anything above 0 is bad: the server acknowledged messages it never delivered.',
      unit: 'percentunit',
      redFrom: 0.000001,
      queries: [{ expr: ratio(range.lost, range.accepted), legend: 'lost / accepted' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Delivered / accepted',
      description:
        'Messages delivered per message the server accepted, over the range. Below 100% is bad: accepted messages did not reach their receiver (in flight, parked, or lost).',
      unit: 'percentunit',
      greenFrom: 0.999,
      queries: [{ expr: ratio(range.delivered, range.accepted), legend: 'delivered / accepted' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Probe availability',
      description:
        'Share of monitor probe cycles that succeeded (mean of imspec_probe_success) over the last hour, day and 30 days. Below your availability objective (say 99.9%) is bad: production delivery failed for that share of the time.',
      unit: 'percentunit',
      greenFrom: 0.999,
      queries: ['1h', '1d', '30d'].map((w) => ({
        expr: `avg(avg_over_time(${name('probeSuccess')}${sel()}[${w}]))`,
        legend: w,
      })),
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Delivery and loss ratios over time',
      description:
        'delivered / sent, delivered / accepted and lost / accepted per rate interval. The first two should hug 100% (short dips while messages are in flight are normal); any loss above 0 is bad.',
      unit: 'percentunit',
      queries: [
        { expr: ratio(now.delivered, now.sent), legend: 'delivered / sent' },
        { expr: ratio(now.delivered, now.accepted), legend: 'delivered / accepted' },
        { expr: ratio(now.lost, now.accepted), legend: 'lost / accepted' },
      ],
    }),
  );
  const budget = Number((1 - DEFAULT_SLO_OBJECTIVE).toFixed(6));
  const windows = [...new Set(BURN_WINDOWS.flatMap((w) => [w.short, w.long]))];
  d.withPanel(
    timeSeriesPanel({
      title: 'Ack-latency SLO burn rate',
      description: `How fast the msg:A latency error budget burns, per job and target, from the recording rules ${sloErrorRatio('<window>')} (share of answers slower than the SLO threshold) divided by the budget (${budget}). 1 spends the budget exactly over 30 days; ${BURN_WINDOWS.map((w) => `${w.burn} over ${w.long} and ${w.short}`).join(', or ')} pages (ImspecAckLatencyBudgetBurn). Needs the rules file loaded.`,
      unit: 'short',
      queries: windows.map((w) => ({
        expr: `${sloErrorRatio(w)}{job=~"$job",target=~"$target"} * ${Number((1 / budget).toFixed(6))}`,
        legend: `{{job}} {{target}} ${w}`,
      })),
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Findings by requirement',
      description:
        'Findings the checker reported over the range, by the docs/protocol.md requirement (or case threshold) they break and its level. Any MUST row is bad: the server broke that rule; the case report shows the frames.',
      unit: 'short',
      w: 24,
      queries: [
        {
          expr: `${sumOverRange('findings', ['requirement', 'level'])} > 0`,
          legend: '{{requirement}} ({{level}})',
        },
      ],
    }),
  );
}
