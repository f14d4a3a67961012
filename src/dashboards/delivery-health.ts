/**
 * "imspec — Delivery health": is every message delivered exactly once, and how fast? For a
 * conformance run, a load run, or `imspec monitor` against production.
 */

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { annotations } from './annotations.js';
import { withHealthPanels } from './health-panels.js';
import { withLoadPanels } from './load-panels.js';
import { heatmapPanel, statPanel, tablePanel, timeSeriesPanel } from './panels.js';
import { bucketIncrease, name, quantile, sel, sumIncrease, sumOverRange, sumRate } from './promql.js';
import { variables } from './variables.js';

const latency = (ack: 'msg_a' | 'ack_n') =>
  [0.5, 0.9, 0.99].map((q) => ({ expr: quantile(q, 'ackLatency', { ack }), legend: `p${q * 100}` }));

export function deliveryHealth(): dashboard.DashboardBuilder {
  const d = new dashboard.DashboardBuilder('imspec — Delivery health')
    .uid('imspec-delivery-health')
    .description(
      'Exactly-once delivery health from imspec: throughput, loss, duplicates, retransmits, latency.',
    )
    .tags(['imspec', 'delivery'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables(variables())
    .annotations(annotations());

  d.withRow(new dashboard.RowBuilder('Now'));
  d.withPanel(
    statPanel({
      title: 'Probe success',
      description:
        'Lowest imspec_probe_success across monitors: 1 when the last canary cycle delivered every message exactly once in both directions in time. 0 is bad: messages are not getting through (see Lost and the failure reasons); no value means the monitor stopped reporting.',
      unit: 'bool',
      greenFrom: 1,
      queries: [{ expr: `min(${name('probeSuccess')}${sel()})`, legend: 'success' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Lost messages',
      description:
        'Accepted messages never committed by the receiver over the dashboard range. Anything above 0 is bad: the server acknowledged a message (msg:A) and then lost it.',
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('messagesLost'), legend: 'lost' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'App duplicates',
      description:
        'Messages committed twice by a receiving app over the range. Anything above 0 is bad: exactly-once is broken (server dedup or client dedup failed).',
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('duplicates', [], { layer: 'app' }), legend: 'app' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Schema violations',
      description:
        'Inbound frames that broke the RAN/1 schema (FRAME-4) over the range. Anything above 0 is bad: the server sends malformed frames that real clients may choke on.',
      unit: 'short',
      redFrom: 1,
      queries: [{ expr: sumOverRange('schemaViolations'), legend: 'violations' }],
    }),
  );

  withHealthPanels(d);

  d.withRow(new dashboard.RowBuilder('Throughput and reliability'));
  d.withPanel(
    timeSeriesPanel({
      title: 'Messages per second',
      description:
        'Sent, accepted (msg:A) and delivered (first commit) per second. Delivered staying below sent for longer than the retransmit timeout is bad: messages are stuck, parked for offline receivers, or lost.',
      unit: 'ops',
      queries: [
        { expr: sumRate('messagesSent'), legend: 'sent' },
        { expr: sumRate('messagesAccepted'), legend: 'accepted' },
        { expr: sumRate('messagesDelivered'), legend: 'delivered' },
      ],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Retransmit rate',
      description:
        'msg:R resent with the same cmid, per second, by reason (timeout, reconnect). Above 0 on a healthy network is bad: msg:A or ack:N arrive late or not at all; sustained retransmits mean loss or an overloaded server.',
      unit: 'ops',
      queries: [{ expr: sumRate('retransmits', ['reason']), legend: '{{reason}}' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Duplicates: wire vs app',
      description:
        'wire: pushes of an already committed message that the client dropped (tolerable in moderation, they cost bandwidth; many mean the server re-pushes too eagerly or acks are lost). app: second commits — any is bad, exactly-once is broken.',
      unit: 'ops',
      queries: [{ expr: sumRate('duplicates', ['layer']), legend: '{{layer}}' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Lost messages',
      description:
        'Messages declared lost (checker at case end, or a monitor canary that never arrived) per interval. Any bar is bad: an accepted message never reached the receiving app.',
      unit: 'short',
      queries: [{ expr: sumIncrease('messagesLost'), legend: 'lost' }],
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Unknown outcome',
      description:
        "Sent messages whose msg:A never reached the sender, over the range (a pushed run: its report's figures): not recovered (the receiver never got them either: the load threshold unknown_outcome) and recovered (the receiver got them anyway). Not recovered above 0 is bad: the kit cannot tell whether the server has those messages; recovered means lost or late msg:A answers (RID-1 when the server never answered).",
      unit: 'short',
      w: 24,
      queries: [
        { expr: sumOverRange('messagesUnknownOutcome', [], { recovered: 'false' }), legend: 'not recovered' },
        { expr: sumOverRange('messagesUnknownOutcome', [], { recovered: 'true' }), legend: 'recovered' },
      ],
    }),
  );

  d.withRow(new dashboard.RowBuilder('Latency'));
  d.withPanel(
    timeSeriesPanel({
      title: 'msg:A latency (p50 / p90 / p99)',
      description:
        'msg:R to its msg:A: how long the server takes to store a message durably and answer. A p99 above the SLO (250 ms) is bad: senders wait, retransmit, and burn the error budget.',
      unit: 's',
      queries: latency('msg_a'),
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'ack:N latency (p50 / p90 / p99)',
      description:
        'Message sent to its first ack:N receipt (delivered, or stored for an offline receiver). High values are bad: the sender retransmits until the receipt comes, so slow receipts become duplicates on the wire.',
      unit: 's',
      queries: latency('ack_n'),
    }),
  );
  d.withPanel(
    heatmapPanel({
      title: 'End-to-end delivery latency',
      description:
        'Message sent to its first commit by the receiving app, as a distribution over time. Mass in the seconds buckets is bad: messages needed retransmits, re-pushes or a sync to arrive.',
      unit: 's',
      w: 24,
      queries: [{ expr: bucketIncrease('deliveryLatency'), legend: '{{le}}' }],
    }),
  );

  d.withRow(new dashboard.RowBuilder('Sequence and protocol'));
  d.withPanel(
    timeSeriesPanel({
      title: 'Seq gaps',
      description:
        "Seqs missing from an inbox that no device ever got, refetch included (SEQ-1, the report's seq gaps), per interval as the checker decides them. Any is bad for a server claiming contiguous-seq: the inbox has holes. A gap a client saw and refetched is not one (sync pages show those refetches).",
      unit: 'short',
      w: 8,
      queries: [{ expr: sumIncrease('seqGaps'), legend: 'gaps' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Schema violations by frame',
      description:
        'Invalid inbound frames per interval by op and kind (FRAME-4). Any is bad: the server broke the RAN/1 schema; the wire log of the case shows the frame.',
      unit: 'short',
      w: 8,
      queries: [{ expr: sumIncrease('schemaViolations', ['op', 'kind']), legend: '{{op}}:{{kind}}' }],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Sync pages and duration',
      description:
        'sync:A pages per second and the p99 time of one page. Many pages outside reconnects are bad (clients keep finding gaps); a p99 of seconds means reconnecting clients wait long for their backlog.',
      unit: 'short',
      w: 8,
      queries: [
        { expr: sumRate('syncPages'), legend: 'pages/s' },
        { expr: quantile(0.99, 'syncDuration'), legend: 'p99 page time (s)' },
      ],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Frames per second',
      description:
        'Frames on the wire by op, kind and direction. A reference for the others: msg:R well above msg:A is bad (answers missing); error:A above 0 means the server rejects requests.',
      unit: 'ops',
      w: 12,
      queries: [
        { expr: sumRate('frames', ['op', 'kind', 'direction']), legend: '{{op}}:{{kind}} {{direction}}' },
      ],
    }),
  );
  d.withPanel(
    timeSeriesPanel({
      title: 'Probe duration',
      description:
        'How long the last monitor cycle took, first canary sent to last receipt. Rising values are bad: delivery slows before it fails; a cycle near the probe timeout is about to count as failed.',
      unit: 's',
      w: 12,
      queries: [{ expr: `max(${name('probeDuration')}${sel()})`, legend: 'duration' }],
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Probe failures',
      description:
        'Failed monitor cycles over the range by reason: connect (target unreachable), timeout (no receipt in time), lost, duplicate, error. Any non-zero row is bad; the reason says where to look.',
      unit: 'short',
      w: 12,
      queries: [{ expr: sumOverRange('probeFailures', ['reason']), legend: '{{reason}}' }],
    }),
  );
  withLoadPanels(d);
  return d;
}
