/**
 * LedgerStats and the case-level thresholds (k6-style): p99 of msg:R→msg:A against
 * `ackLatencyP99Ms`, p99 of send→first commit against `deliveryLatencyP99Ms`, retransmissions per
 * sent message against `maxRetransmitRatio`, wire duplicates against `maxWireDuplicates`. These
 * are the case's own promises, so their findings take the requirement the case covers first.
 */

import type { Scan } from './context.js';
import type { Msg } from './state.js';
import type { LedgerStats } from './types.js';
import type { EndCounts } from './verdicts.js';

/** Latencies sorted ascending, with the message behind each kept for evidence. */
interface Series {
  values: number[];
  /** The slowest message (for evidence). */
  worst: Msg | undefined;
}

function series(msgs: readonly Msg[], pick: (m: Msg) => number): Series {
  const buf = new Float64Array(msgs.length);
  let n = 0;
  let worst: Msg | undefined;
  let worstValue = Number.NEGATIVE_INFINITY;
  for (const m of msgs) {
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
  return { values: Array.from(sorted), worst };
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function finishStats(s: Scan, counts: EndCounts): LedgerStats {
  const l = s.l;
  const msgs = l.msgs;
  const sentAt = (m: Msg) => (m.sendIdx >= 0 ? m.sendT : m.firstRT);
  const ack = series(msgs, (m) =>
    m.acceptIdx >= 0 && m.firstRIdx >= 0 ? m.acceptT - m.firstRT : Number.NaN,
  );
  const receipt = series(msgs, (m) => m.firstRcptT - sentAt(m));
  const delivery = series(msgs, (m) => m.firstCommitT - sentAt(m));
  const covered = s.covers[0];

  const p99ack = percentile(ack.values, 99);
  if (s.expect.ackLatencyP99Ms !== undefined && p99ack > s.expect.ackLatencyP99Ms) {
    s.sink.add({
      kind: 'latency',
      requirement: covered ?? 'MSG-1',
      expected: `p99 msg:R→msg:A ≤ ${s.expect.ackLatencyP99Ms} ms`,
      actual: `p99 ${p99ack.toFixed(1)} ms over ${ack.values.length} messages`,
      evidence: ack.worst ? [ack.worst.firstRIdx, ack.worst.acceptIdx] : [],
      cmid: ack.worst?.cmid,
    });
  }
  const p99delivery = percentile(delivery.values, 99);
  if (s.expect.deliveryLatencyP99Ms !== undefined && p99delivery > s.expect.deliveryLatencyP99Ms) {
    const w = delivery.worst;
    s.sink.add({
      kind: 'latency',
      requirement: covered ?? 'PUSH-1',
      expected: `p99 send→commit ≤ ${s.expect.deliveryLatencyP99Ms} ms`,
      actual: `p99 ${p99delivery.toFixed(1)} ms over ${delivery.values.length} messages`,
      evidence: w ? [w.sendIdx >= 0 ? w.sendIdx : w.firstRIdx, w.firstCommitIdx] : [],
      cmid: w?.cmid,
    });
  }
  const retransmits = l.retransmitIdx.length;
  const ratio = counts.sent === 0 ? 0 : retransmits / counts.sent;
  if (s.expect.maxRetransmitRatio !== undefined && ratio > s.expect.maxRetransmitRatio) {
    s.sink.add({
      kind: 'retransmit-bound',
      requirement: covered ?? 'DEDUP-1',
      expected: `at most ${s.expect.maxRetransmitRatio} retransmissions per message sent`,
      actual: `${retransmits} retransmissions for ${counts.sent} messages (${ratio.toFixed(3)})`,
      evidence: l.retransmitIdx.slice(0, 12),
    });
  }
  const wire = l.wireDuplicates.length;
  if (s.expect.maxWireDuplicates !== undefined && wire > s.expect.maxWireDuplicates) {
    s.sink.add({
      kind: 'wire-duplicate',
      requirement: covered ?? 'PUSH-2',
      expected: `at most ${s.expect.maxWireDuplicates} pushes of messages the device had already committed`,
      actual: `${wire} such pushes`,
      evidence: l.wireDuplicates.slice(0, 12),
    });
  }

  let receiptsStored = 0;
  let receiptsDelivered = 0;
  for (const m of msgs) {
    if (m.storedRcptIdx >= 0) receiptsStored++;
    if (m.deliveredRcptIdx >= 0) receiptsDelivered++;
  }
  return {
    sent: counts.sent,
    accepted: counts.accepted,
    delivered: counts.delivered,
    lost: counts.lost,
    appDuplicates: l.appDuplicates,
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
