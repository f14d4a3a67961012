/**
 * THE table of imspec metrics (docs/observability.md). The exporter (registry.ts), the Grafana
 * dashboards (src/dashboards/) and the Prometheus alert rules (src/metrics/alert-rules.ts) all
 * read names from here, so a renamed metric breaks the build instead of a dashboard in production.
 *
 * Naming follows Prometheus practice: `imspec_` prefix, base units (`_seconds`), `_total` on
 * counters, and a small fixed label set. Message ids, user ids and device names never become
 * labels: a label value must come from a bounded set known before the run starts.
 */

import type { FrameType } from '../protocol/frames.js';
import { FRAME_TYPES } from '../protocol/frames.js';

/** Every label any imspec metric may carry. Anything else is refused by `defineMetric`. */
export const LABEL_NAMES = [
  'scenario',
  'driver',
  'suite',
  'op',
  'kind',
  'direction',
  'layer',
  'reason',
  'ack',
  'fault',
  'verdict',
  'requirement',
  'level',
  'recovered',
] as const;
export type LabelName = (typeof LABEL_NAMES)[number];
export type Labels = Partial<Record<LabelName, string>>;

/** Labels every run metric carries: which case, through which driver, in which suite. */
export const BASE_LABELS = ['scenario', 'driver', 'suite'] as const satisfies readonly LabelName[];
export type BaseLabels = Record<(typeof BASE_LABELS)[number], string>;

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  /** Full Prometheus name, e.g. `imspec_frames_total`. */
  readonly name: string;
  readonly type: MetricType;
  /** One sentence: what is counted and when. Shown as `# HELP` and in docs/observability.md. */
  readonly help: string;
  /** Base unit (`seconds`) or `''` for a plain count; Grafana unit ids are derived from it. */
  readonly unit: 'seconds' | 'messages' | 'frames' | 'events' | 'ratio' | 'bool' | '';
  readonly labels: readonly LabelName[];
  /**
   * Known values per label, used to zero-initialise every combination so `rate()` exists from
   * the first scrape. Base labels are filled in at registry creation time.
   */
  readonly values?: Partial<Record<LabelName, readonly string[]>>;
  /** Histogram buckets in seconds (upper bounds, ascending). */
  readonly buckets?: readonly number[];
  /**
   * Labels of the exemplar each bucket carries in the OpenMetrics exposition (the last message
   * observed in it, src/metrics/exemplars.ts). Message ids are fine here, never as labels: an
   * exemplar is one per bucket and does not make a series.
   */
  readonly exemplars?: readonly string[];
}

/**
 * Latency buckets from 100 µs to 30 s, roughly ×2–2.5 per step (1-2.5-5 series): loopback
 * msg:A answers in ~100 µs, a retransmitted message over a faulty link takes seconds, and a
 * message parked for an offline receiver tens of seconds. 19 buckets keep series count modest.
 * 0.25 s is a bucket boundary on purpose: the ack-latency SLO threshold (alert-rules.ts).
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30,
];

const FRAME_OPS = [...new Set(FRAME_TYPES.map((t) => t.slice(0, t.indexOf(':'))))];
const FRAME_KINDS = ['R', 'A', 'N'] as const;

/** The (op, kind, direction) triples RAN/1 actually has: R goes out, A and N come in. */
export function frameLabelTriples(): { op: string; kind: string; direction: string }[] {
  return FRAME_TYPES.map((t: FrameType) => {
    const [op, kind] = t.split(':') as [string, string];
    return { op, kind, direction: kind === 'R' ? 'out' : 'in' };
  });
}

/** A latency exemplar names the message: the sender's cmid and, when known, the server's smid. */
export const MESSAGE_EXEMPLAR = ['cmid', 'smid'] as const;

export const RETRANSMIT_REASONS = ['timeout', 'reconnect'] as const;
export const DUPLICATE_LAYERS = ['wire', 'app'] as const;
export const ACK_KINDS = ['msg_a', 'ack_n'] as const;
/** imspec_messages_unknown_outcome_total{recovered}: whether the receiver got the message anyway. */
export const UNKNOWN_OUTCOME_RECOVERED = ['false', 'true'] as const;
/**
 * Fault labels: the fault proxies' actions (FaultEvent.action: frame rules drop … stall, stream
 * rules latency … slice), the runner's target actions (TargetEvent kill, term, restart, pause)
 * and bot misbehaviour (MisbehaveEvent). Anything else maps to `other`.
 */
export const FAULT_ACTIONS = [
  'drop',
  'duplicate',
  'delay',
  'reorder',
  'corrupt',
  'cut',
  'stall',
  'latency',
  'bandwidth',
  'reset',
  'blackhole',
  'slice',
  'kill',
  'term',
  'restart',
  'pause',
  'misbehave',
  'other',
] as const;
export const VERDICTS = [
  'PASS',
  'FAIL',
  'WARN',
  'INFO',
  'UNSUPPORTED',
  'INCONCLUSIVE',
  'ERROR',
  'FLAKY',
  'XFAIL',
] as const;
/** Why a load run dropped a scheduled send (imspec_load_sends_dropped_total{reason}). */
export const LOAD_DROP_REASONS = ['window', 'no-bot', 'disconnected'] as const;
/** Why a monitor probe cycle failed (imspec_probe_failures_total{reason}). */
export const PROBE_FAILURE_REASONS = ['connect', 'timeout', 'lost', 'duplicate', 'error'] as const;

function def<const T extends MetricDefinition>(d: T): T {
  for (const label of d.labels) {
    if (!(LABEL_NAMES as readonly string[]).includes(label)) throw new Error(`unknown label ${label}`);
  }
  if (d.type === 'counter' && !d.name.endsWith('_total'))
    throw new Error(`${d.name}: counters end in _total`);
  return Object.freeze(d);
}

export const METRICS = {
  messagesSent: def({
    name: 'imspec_messages_sent_total',
    type: 'counter',
    help: "Messages the sending bots decided to send (first attempts only; retransmits are counted apart); a load bot's when it goes on the wire.",
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  messagesAccepted: def({
    name: 'imspec_messages_accepted_total',
    type: 'counter',
    help: 'Messages the server accepted: the first msg:A for a sent cmid.',
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  messagesDelivered: def({
    name: 'imspec_messages_delivered_total',
    type: 'counter',
    help: 'Messages committed by their receiver (any of its devices) for the first time, once per message as the verdict counts them (the moment that counts as delivery).',
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  messagesLost: def({
    name: 'imspec_messages_lost_total',
    type: 'counter',
    help: 'Accepted messages the verdict counts as lost: never committed by their receiver, or forgotten by a restarted server (DUR-1); from the checker at case end, or a monitor canary that timed out.',
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  messagesUnknownOutcome: def({
    name: 'imspec_messages_unknown_outcome_total',
    type: 'counter',
    help: 'Sent messages whose msg:A never reached the sender (the report\'s unknown outcome), from the ledger the verdict uses: recovered="true" the receiver committed it anyway, recovered="false" it did not (the load threshold unknown_outcome).',
    unit: 'messages',
    labels: [...BASE_LABELS, 'recovered'],
    values: { recovered: UNKNOWN_OUTCOME_RECOVERED },
  }),
  retransmits: def({
    name: 'imspec_retransmits_total',
    type: 'counter',
    help: 'msg:R frames resent with the same cmid, by why the bot resent.',
    unit: 'frames',
    labels: [...BASE_LABELS, 'reason'],
    values: { reason: RETRANSMIT_REASONS },
  }),
  duplicates: def({
    name: 'imspec_duplicates_total',
    type: 'counter',
    help: 'Duplicate deliveries: layer="wire" a push of an already committed message (the bot dropped it), layer="app" a second commit (exactly-once broken).',
    unit: 'messages',
    labels: [...BASE_LABELS, 'layer'],
    values: { layer: DUPLICATE_LAYERS },
  }),
  seqGaps: def({
    name: 'imspec_seq_gaps_total',
    type: 'counter',
    help: "Seqs missing from an inbox that no device ever got, refetch included (SEQ-1, the report's seq gaps), from the ledger the verdict uses; a gap a client saw and refetched is not one.",
    unit: 'events',
    labels: BASE_LABELS,
  }),
  syncPages: def({
    name: 'imspec_sync_pages_total',
    type: 'counter',
    help: 'sync:A pages received during reconnect sync or gap refetch.',
    unit: 'frames',
    labels: BASE_LABELS,
  }),
  schemaViolations: def({
    name: 'imspec_schema_violations_total',
    type: 'counter',
    help: 'Frames the target sent that failed decoding or schema validation (FRAME-4, as the checker judges it), by op and kind (op="unknown" when undecodable); never the kit\'s own malformed probes or packets with no RAN/1 counterpart.',
    unit: 'frames',
    labels: [...BASE_LABELS, 'op', 'kind'],
  }),
  faultsInjected: def({
    name: 'imspec_faults_injected_total',
    type: 'counter',
    help: 'Faults injected by the fault proxy, the runner (target kill/restart/pause) or misbehaving bots, by action.',
    unit: 'events',
    labels: [...BASE_LABELS, 'fault'],
    values: { fault: FAULT_ACTIONS },
  }),
  frames: def({
    name: 'imspec_frames_total',
    type: 'counter',
    help: 'Frames on the wire as the client saw them, by op, kind (R/A/N) and direction (out = client to server).',
    unit: 'frames',
    labels: [...BASE_LABELS, 'op', 'kind', 'direction'],
  }),
  ackLatency: def({
    name: 'imspec_ack_latency_seconds',
    type: 'histogram',
    help: 'ack="msg_a": a message\'s first msg:R to its first msg:A (a lost answer\'s wait included); ack="ack_n": message sent to its first ack:N receipt. Once per message, as the verdict times them.',
    unit: 'seconds',
    labels: [...BASE_LABELS, 'ack'],
    values: { ack: ACK_KINDS },
    buckets: LATENCY_BUCKETS,
    exemplars: MESSAGE_EXEMPLAR,
  }),
  deliveryLatency: def({
    name: 'imspec_delivery_latency_seconds',
    type: 'histogram',
    help: 'End-to-end latency: message sent to its first commit by a receiving app.',
    unit: 'seconds',
    labels: BASE_LABELS,
    buckets: LATENCY_BUCKETS,
    exemplars: MESSAGE_EXEMPLAR,
  }),
  syncDuration: def({
    name: 'imspec_sync_duration_seconds',
    type: 'histogram',
    help: 'sync:R sent to its sync:A (one page).',
    unit: 'seconds',
    labels: BASE_LABELS,
    buckets: LATENCY_BUCKETS,
  }),
  findings: def({
    name: 'imspec_findings_total',
    type: 'counter',
    help: 'Findings the checker reported at case end, by the docs/protocol.md requirement they break (or the case threshold, threshold:…) and its level; a finding that lists "and N more" counts once.',
    unit: 'events',
    labels: [...BASE_LABELS, 'requirement', 'level'],
  }),
  caseVerdict: def({
    name: 'imspec_case_verdict',
    type: 'gauge',
    help: 'Verdict of the last run of a case: 1 for its verdict, 0 for the others.',
    unit: 'bool',
    labels: [...BASE_LABELS, 'verdict'],
    values: { verdict: VERDICTS },
  }),
  probeSuccess: def({
    name: 'imspec_probe_success',
    type: 'gauge',
    help: 'Monitor: 1 when the last probe cycle delivered every canary exactly once in both directions in time, else 0.',
    unit: 'bool',
    labels: BASE_LABELS,
  }),
  probeDuration: def({
    name: 'imspec_probe_duration_seconds',
    type: 'gauge',
    help: 'Monitor: how long the last probe cycle took, from the first canary sent to the last receipt.',
    unit: 'seconds',
    labels: BASE_LABELS,
  }),
  probeFailures: def({
    name: 'imspec_probe_failures_total',
    type: 'counter',
    help: 'Monitor: failed probe cycles, by reason (connect, timeout, lost, duplicate, error).',
    unit: 'events',
    labels: [...BASE_LABELS, 'reason'],
    values: { reason: PROBE_FAILURE_REASONS },
  }),
  loadScheduled: def({
    name: 'imspec_load_sends_scheduled_total',
    type: 'counter',
    help: 'Load: sends the open-model schedule offered (its rate is the offered rate; imspec_messages_sent_total is the achieved one).',
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  loadDropped: def({
    name: 'imspec_load_sends_dropped_total',
    type: 'counter',
    help: 'Load: scheduled sends that were dropped, never sent: reason="window" (the sender\'s in-flight window was full when it fell due), "no-bot" (the sender had never connected), "disconnected" (queued while the sender was disconnected and still unsent when the run ended; counted at the end).',
    unit: 'messages',
    labels: [...BASE_LABELS, 'reason'],
    values: { reason: LOAD_DROP_REASONS },
  }),
  loadInFlight: def({
    name: 'imspec_load_in_flight',
    type: 'gauge',
    help: "Load: messages in the senders' windows: sent and not yet receipted or given up, or queued while the sender is disconnected.",
    unit: 'messages',
    labels: BASE_LABELS,
  }),
  loadBotsConnected: def({
    name: 'imspec_load_bots_connected',
    type: 'gauge',
    help: 'Load: bots (devices) with a session up.',
    unit: '',
    labels: BASE_LABELS,
  }),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);

/** Label names of schema_violations / frames zero-initialisation (see registry.ts). */
export const FRAME_OPS_KNOWN: readonly string[] = FRAME_OPS;
export const FRAME_KINDS_KNOWN: readonly string[] = FRAME_KINDS;
