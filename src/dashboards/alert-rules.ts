/**
 * Prometheus alert rules, generated from the metric table like the dashboards, into
 * dashboards/imspec-alerts.rules.yml. dashboards/imspec-alerts.test.yml unit-tests them with
 * `promtool test rules` (test/dashboards/alert-rules.test.ts).
 *
 * The ack-latency SLO follows the multi-window, multi-burn-rate recipe of the Google SRE
 * workbook ("Alerting on SLOs"): page when the error budget burns 14.4× too fast over 1 h (and
 * still over the last 5 m, so the alert stops soon after the problem does), or 6× over 6 h
 * (and the last 30 m). 14.4× for 1 h spends 2 % of a 30-day budget; 6× for 6 h spends 5 %.
 */

import { stringify } from 'yaml';
import { LATENCY_BUCKETS, METRICS } from '../metrics/definitions.js';
import { ratio } from './promql.js';

export interface AlertRuleOptions {
  /** The SLO: this fraction of msg:A answers arrive within `sloThresholdSeconds`. @default 0.999 */
  sloObjective?: number;
  /** msg:A latency threshold of the SLO; must be a histogram bucket bound. @default 0.25 */
  sloThresholdSeconds?: number;
  /** The scrape job of `imspec monitor`, watched by the absent() alert. @default 'imspec-monitor' */
  monitorJob?: string;
}

/** The ack-latency SLO objective the shipped rules and the burn-rate panel use. */
export const DEFAULT_SLO_OBJECTIVE = 0.999;

/** Where each alert is explained (a path in the imspec package; no hosted docs yet). */
const DOCS = 'docs/observability.md';

/** The SRE workbook's page-level windows: [long, short, burn rate, for]. */
export const BURN_WINDOWS = [
  { long: '1h', short: '5m', burn: 14.4, for: '2m' },
  { long: '6h', short: '30m', burn: 6, for: '15m' },
] as const;

const n = (key: keyof typeof METRICS, suffix = '') => METRICS[key].name + suffix;

/** Recording rule name for the SLO error ratio over one window. */
export const sloErrorRatio = (window: string) => `imspec:ack_latency_slo_errors:ratio_rate${window}`;

export function alertRuleGroups(options: AlertRuleOptions = {}) {
  const objective = options.sloObjective ?? DEFAULT_SLO_OBJECTIVE;
  const threshold = options.sloThresholdSeconds ?? 0.25;
  const job = options.monitorJob ?? 'imspec-monitor';
  if (!LATENCY_BUCKETS.includes(threshold)) {
    throw new Error(`SLO threshold ${threshold}s is not a bucket bound of ${n('ackLatency')}`);
  }
  const budget = Number((1 - objective).toFixed(6));
  const windows = [...new Set(BURN_WINDOWS.flatMap((w) => [w.long, w.short]))];
  // Per job and target: one Prometheus may watch several servers (the `target` label).
  const byJob = 'sum by (job, target)';

  return {
    groups: [
      {
        name: 'imspec-delivery',
        rules: [
          {
            alert: 'ImspecMessageLoss',
            expr: `sum by (job, target, scenario) (increase(${n('messagesLost')}[10m])) > 0`,
            labels: { severity: 'critical' },
            annotations: {
              summary:
                'imspec: {{ $value | humanize }} accepted messages lost in {{ $labels.job }}/{{ $labels.scenario }}',
              description:
                'The server acknowledged messages (msg:A) that the receiver never committed in the last 10 minutes. Exactly-once delivery is broken: check server durability and re-push.',
              runbook: `${DOCS}#imspecmessageloss`,
            },
          },
          {
            alert: 'ImspecAppDuplicates',
            expr: `sum by (job, target, scenario) (increase(${n('duplicates')}{layer="app"}[10m])) > 0`,
            labels: { severity: 'critical' },
            annotations: {
              summary: 'imspec: messages committed twice in {{ $labels.job }}/{{ $labels.scenario }}',
              description:
                'A receiving app committed the same message twice in the last 10 minutes: server dedup (same cmid → same smid) or client dedup failed.',
              runbook: `${DOCS}#imspecappduplicates`,
            },
          },
          {
            alert: 'ImspecUnknownOutcome',
            expr: `sum by (job, target, scenario) (increase(${n('messagesUnknownOutcome')}{recovered="false"}[10m])) > 0`,
            labels: { severity: 'warning' },
            annotations: {
              summary:
                'imspec: {{ $value | humanize }} messages of unknown outcome in {{ $labels.job }}/{{ $labels.scenario }}',
              description:
                'Senders never learned whether the server took these messages (no msg:A, no receipt) and no receiver got them in the last 10 minutes. Not proven lost: the server went silent, crashed or was cut off mid-exchange. Check for restarts and timeouts.',
              runbook: `${DOCS}#imspecunknownoutcome`,
            },
          },
          {
            alert: 'ImspecWireDuplicateRateHigh',
            expr: `${ratio(`sum by (job, target, scenario) (rate(${n('duplicates')}{layer="wire"}[10m]))`, `sum by (job, target, scenario) (rate(${n('messagesDelivered')}[10m]))`)} > 0.05`,
            for: '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary:
                'imspec: {{ $value | humanizePercentage }} of deliveries arrive twice on the wire in {{ $labels.job }}',
              description:
                'More than 5% of delivered messages were pushed again after commit. Clients absorb them, but it means lost ack:R frames or a re-push timer that is too short.',
              runbook: `${DOCS}#imspecwireduplicateratehigh`,
            },
          },
          {
            alert: 'ImspecRetransmitRateHigh',
            expr: `${ratio(`sum by (job, target, scenario) (rate(${n('retransmits')}[10m]))`, `sum by (job, target, scenario) (rate(${n('messagesSent')}[10m]))`)} > 0.1`,
            for: '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary:
                'imspec: {{ $value | humanizePercentage }} retransmits per message in {{ $labels.job }}',
              description:
                'Senders resend more than one message in ten: msg:A or ack:N are lost or late (network loss, an overloaded server).',
              runbook: `${DOCS}#imspecretransmitratehigh`,
            },
          },
          {
            alert: 'ImspecSchemaViolations',
            expr: `sum by (job, target, scenario, op, kind) (increase(${n('schemaViolations')}[10m])) > 0`,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'imspec: invalid {{ $labels.op }}:{{ $labels.kind }} frames from {{ $labels.job }}',
              description: 'The server sent frames that break the RAN/1 schema (FRAME-4).',
              runbook: `${DOCS}#imspecschemaviolations`,
            },
          },
        ],
      },
      {
        name: 'imspec-ack-latency-slo',
        rules: [
          ...windows.map((w) => ({
            record: sloErrorRatio(w),
            // Share of msg:A answers slower than the threshold: 1 - (fast / all); absent while no
            // answer came in the window (no traffic spends no budget).
            expr: `1 - (${ratio(`${byJob} (rate(${n('ackLatency', '_bucket')}{ack="msg_a",le="${threshold}"}[${w}]))`, `${byJob} (rate(${n('ackLatency', '_count')}{ack="msg_a"}[${w}]))`)})`,
          })),
          ...BURN_WINDOWS.map((w) => ({
            alert: w.burn > 10 ? 'ImspecAckLatencyBudgetBurnFast' : 'ImspecAckLatencyBudgetBurnSlow',
            expr: `${sloErrorRatio(w.long)} > (${w.burn} * ${budget}) and ${sloErrorRatio(w.short)} > (${w.burn} * ${budget})`,
            for: w.for,
            labels: { severity: 'page', slo: 'ack-latency' },
            annotations: {
              summary: `imspec: msg:A latency SLO budget burning ${w.burn}x too fast in {{ $labels.job }}`,
              description: `More than ${(w.burn * budget * 100).toFixed(2)}% of msg:A answers took longer than ${threshold * 1000} ms over the last ${w.long} and ${w.short} (SLO: ${objective * 100}% within ${threshold * 1000} ms).`,
              runbook: `${DOCS}#imspecacklatencybudgetburn`,
            },
          })),
        ],
      },
      {
        name: 'imspec-probe',
        rules: [
          {
            alert: 'ImspecProbeFailing',
            expr: `min by (job, target, scenario) (${n('probeSuccess')}) == 0`,
            for: '3m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'imspec monitor {{ $labels.job }}: canaries failing',
              description:
                'The monitor has not completed a clean canary cycle (both directions, exactly once, in time) for 3 minutes. imspec_probe_failures_total{reason} says why.',
              runbook: `${DOCS}#imspecprobefailing`,
            },
          },
          {
            alert: 'ImspecProbeAbsent',
            expr: `absent(${n('probeSuccess')}{job="${job}"})`,
            for: '5m',
            labels: { severity: 'critical', job },
            annotations: {
              summary: `imspec monitor ${job} stopped reporting`,
              description:
                'No imspec_probe_success series for 5 minutes: the monitor is down, not scraped, or has not completed a cycle since it started. Production delivery is unwatched.',
              runbook: `${DOCS}#imspecprobeabsent`,
            },
          },
        ],
      },
    ],
  };
}

export function renderAlertRules(options?: AlertRuleOptions): string {
  const header =
    '# Generated by `npm run dashboards` from src/dashboards/alert-rules.ts and the metric table in\n' +
    '# src/metrics/definitions.ts. Do not edit by hand. Unit tests: imspec-alerts.test.yml.\n';
  return header + stringify(alertRuleGroups(options), { lineWidth: 0 });
}
