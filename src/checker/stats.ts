/**
 * LedgerStats and the case-level thresholds (k6-style): p99 of msg:R→msg:A against
 * `ackLatencyP99Ms`, p99 of send→first commit against `deliveryLatencyP99Ms`, retransmissions per
 * sent message against `maxRetransmitRatio`, wire duplicates against `maxWireDuplicates`. These
 * are the case author's own bounds, not rules of RAN/1: their findings carry the threshold's own
 * id (THRESHOLD_IDS) at the case's severity, never a server requirement — a latency problem is
 * not a dedup violation, and how often the kit's own timers fire is not a server MUST.
 */

import type { Scan } from './context.js';
import { msgCmid } from './state.js';
import type { LedgerStats, ThresholdId } from './types.js';
import type { EndCounts, ReacceptCounts } from './verdicts.js';

/**
 * The id each `expect:` threshold's findings carry (documented in docs/reports.md, listed in
 * schemas/report.schema.json): `threshold:` and the scenario key, so it can never be mistaken
 * for a requirement of docs/protocol.md.
 */
export const THRESHOLD_IDS = {
  ackLatencyP99Ms: 'threshold:ackLatencyP99',
  deliveryLatencyP99Ms: 'threshold:deliveryLatencyP99',
  maxRetransmitRatio: 'threshold:maxRetransmitRatio',
  maxWireDuplicates: 'threshold:maxWireDuplicates',
  standinWithinMs: 'threshold:standinWithin',
} as const satisfies Record<string, ThresholdId>;

/** Latencies sorted ascending, with the message behind each kept for evidence. */
interface Series {
  values: number[];
  /** The slowest message id (for evidence), or -1. */
  worst: number;
}

function series(count: number, pick: (m: number) => number): Series {
  const buf = new Float64Array(count);
  let n = 0;
  let worst = -1;
  let worstValue = Number.NEGATIVE_INFINITY;
  for (let m = 0; m < count; m++) {
    const v = pick(m);
    if (Number.isNaN(v)) continue;
    buf[n++] = v;
    if (v > worstValue) {
      worstValue = v;
      worst = m;
    }
  }
  // A typed-array sort is numeric and far faster than Array#sort on a million values.
  const sorted = buf.subarray(0, n).sort();
  // A plain loop: Array.from on a typed array goes through the iterator, an object per element.
  const values = new Array<number>(n);
  for (let k = 0; k < n; k++) values[k] = sorted[k]!;
  return { values, worst };
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function finishStats(
  s: Scan,
  counts: EndCounts,
  reaccepts: ReacceptCounts = { lost: 0, appDuplicates: 0 },
): LedgerStats {
  const l = s.l;
  const t = l.msgs;
  const n = t.size;
  const events = l.events;
  const at = (idx: number) => (idx >= 0 ? events[idx]!.t : Number.NaN);
  // The app's send when there was one, else the first msg:R.
  const sentIdx = (m: number) => t.originIdx[m]!;
  const ack = series(n, (m) =>
    t.firstRIdx[m]! >= 0 ? at(t.acceptIdx[m]!) - at(t.firstRIdx[m]!) : Number.NaN,
  );
  const receipt = series(n, (m) => at(t.firstRcptIdx(m)) - at(sentIdx(m)));
  const delivery = series(n, (m) => at(t.commitIdx[m]!) - at(sentIdx(m)));
  const level = s.severity;

  const p99ack = percentile(ack.values, 99);
  if (s.expect.ackLatencyP99Ms !== undefined && p99ack > s.expect.ackLatencyP99Ms) {
    s.sink.add({
      kind: 'latency',
      requirement: THRESHOLD_IDS.ackLatencyP99Ms,
      level,
      expected: `p99 msg:R→msg:A ≤ ${s.expect.ackLatencyP99Ms} ms`,
      actual: `p99 ${p99ack.toFixed(1)} ms over ${ack.values.length} messages`,
      evidence: ack.worst >= 0 ? [t.firstRIdx[ack.worst]!, t.acceptIdx[ack.worst]!] : [],
      cmid: ack.worst >= 0 ? msgCmid(l, ack.worst) : undefined,
    });
  }
  const p99delivery = percentile(delivery.values, 99);
  if (s.expect.deliveryLatencyP99Ms !== undefined && p99delivery > s.expect.deliveryLatencyP99Ms) {
    const w = delivery.worst;
    s.sink.add({
      kind: 'latency',
      requirement: THRESHOLD_IDS.deliveryLatencyP99Ms,
      level,
      expected: `p99 send→commit ≤ ${s.expect.deliveryLatencyP99Ms} ms`,
      actual: `p99 ${p99delivery.toFixed(1)} ms over ${delivery.values.length} messages`,
      evidence: w >= 0 ? [sentIdx(w), t.commitIdx[w]!] : [],
      cmid: w >= 0 ? msgCmid(l, w) : undefined,
    });
  }
  const retransmits = l.retransmitIdx.length;
  const ratio = counts.sent === 0 ? 0 : retransmits / counts.sent;
  if (s.expect.maxRetransmitRatio !== undefined && ratio > s.expect.maxRetransmitRatio) {
    s.sink.add({
      kind: 'retransmit-bound',
      requirement: THRESHOLD_IDS.maxRetransmitRatio,
      level,
      expected: `at most ${s.expect.maxRetransmitRatio} retransmissions per message sent`,
      actual: `${retransmits} retransmissions for ${counts.sent} messages (${ratio.toFixed(3)})`,
      evidence: l.retransmitIdx.slice(0, 12),
    });
  }
  const wire = l.wireDuplicates.length;
  if (s.expect.maxWireDuplicates !== undefined && wire > s.expect.maxWireDuplicates) {
    s.sink.add({
      kind: 'wire-duplicate',
      requirement: THRESHOLD_IDS.maxWireDuplicates,
      level,
      expected: `at most ${s.expect.maxWireDuplicates} pushes of messages the device had already committed`,
      actual: `${wire} such pushes`,
      evidence: l.wireDuplicates.slice(0, 12),
    });
  }

  let receiptsStored = 0;
  let receiptsDelivered = 0;
  for (let m = 0; m < n; m++) {
    if (t.storedRcptIdx[m]! >= 0) receiptsStored++;
    if (t.deliveredRcptIdx[m]! >= 0) receiptsDelivered++;
  }
  return {
    sent: counts.sent,
    accepted: counts.accepted,
    delivered: counts.delivered,
    lost: counts.lost + reaccepts.lost,
    appDuplicates: l.appDuplicates + reaccepts.appDuplicates,
    wireDuplicates: wire,
    unknownOutcome: counts.unknownOutcome,
    recovered: counts.recovered,
    retransmits,
    receiptsStored,
    receiptsDelivered,
    seqGaps: l.seqGaps,
    schemaViolations: l.schemaViolations,
    requests: l.requests,
    unanswered: l.unanswered,
    ackLatencyMs: ack.values,
    receiptLatencyMs: receipt.values,
    deliveryLatencyMs: delivery.values,
  };
}
