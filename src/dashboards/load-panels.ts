/**
 * The load-run row (`imspec load`): offered against achieved send rate, dropped sends, messages
 * in flight and connected bots — what says whether the kit kept its schedule (open model) or the
 * target pushed back. Summed over worker processes and shards by the queries themselves.
 */

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { statPanel, timeSeriesPanel } from './panels.js';
import { name, sel, sumOverRange, sumRate } from './promql.js';

export function withLoadPanels(d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder('Load runs (imspec load)'));
  d.withPanel(
    timeSeriesPanel({
      title: 'Offered vs achieved send rate',
      description:
        "Sends per second the open-model schedule offered (imspec_load_sends_scheduled_total) against messages the bots actually sent (imspec_messages_sent_total). The two lines should lie on each other; achieved below offered is bad: sends were dropped because senders' windows were full (the target answers too slowly) or bots were not connected.",
      unit: 'ops',
      queries: [
        { expr: sumRate('loadScheduled'), legend: 'offered' },
        { expr: sumRate('messagesSent'), legend: 'achieved' },
      ],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Dropped sends by reason',
      description:
        'Scheduled sends that were never sent, per second: reason="window" (the sender still had its in-flight window full of unreceipted messages), "no-bot" (the sender never connected), "disconnected" (queued while the sender was cut off and still unsent when the run ended: counted at the end, a spike on the last scrape). Any is bad for a latency test: the offered load was not applied (k6 calls them dropped_iterations).',
      unit: 'ops',
      queries: [{ expr: sumRate('loadDropped', ['reason']), legend: '{{reason}}' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Messages in flight',
      description:
        "Messages sent and not yet receipted or given up, over all senders' windows (with those queued while a sender is disconnected). It should stay near rate × round-trip time; a climb to the window limit (window × senders) is bad: the target stopped keeping up and sends are about to be dropped.",
      unit: 'short',
      queries: [{ expr: `sum(${name('loadInFlight')}${sel()})`, legend: 'in flight' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Load bots connected',
      description:
        "Bots (devices) with a session up, summed over worker processes. Below the profile's population outside its offline schedule is bad: connections were refused or dropped and are reconnecting.",
      unit: 'short',
      greenFrom: 1,
      queries: [{ expr: `sum(${name('loadBotsConnected')}${sel()})`, legend: 'connected' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Dropped sends over the range',
      description:
        'Scheduled sends dropped over the dashboard range, every reason. Above 0 is bad: the run did not offer the load its profile describes, so its latency figures flatter the target.',
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('loadDropped'), legend: 'dropped' }],
    }),
  );
}
