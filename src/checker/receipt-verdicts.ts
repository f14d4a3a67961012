/**
 * Missing and wrong receipts, judged at a message's end: RCPT-1 (a stand-in `stored` receipt for
 * a receiver offline at acceptance), RCPT-2 (a `delivered` receipt once an ack covered the seq),
 * DEDUP-3 (the receipt again after a duplicate's msg:A) and RCPT-3 for receipts that came before
 * their seq was known. Each asks first whether the sender was there to receive it and whether an
 * injected fault or a crash explains its absence.
 */

import { earliestUnansweredAck } from './ack-effect.js';
import { connEnd, type Scan } from './context.js';
import { type FaultRecord, LOSS } from './fault-index.js';
import { falseReceipt } from './messages.js';
import { msgCmid, msgReceiver, msgSender, msgTo, storedSmid } from './msg-reads.js';
import { connOfEvent, tOf } from './scan-reads.js';
import type { ActorState, ConnState } from './state.js';
import { THRESHOLD_IDS } from './stats.js';
import { OFFLINE_AT_ACCEPT } from './tables.js';

/**
 * A receipt could only be lost with its own frame or with the connection (a stall): the faults
 * that excuse a missing one.
 */
export function receiptFault(smid: string | undefined) {
  return (f: FaultRecord) =>
    f.type === undefined || (f.type === 'ack:N' && (f.smid === undefined || f.smid === smid));
}

/** RCPT-1 and RCPT-2 for one accepted message (see judgeMessage). */
export function judgeReceipts(s: Scan, m: number): void {
  const t = s.l.msgs;
  const st = t.stored.get(m);
  // Only RCPT-1 (accepted offline) and RCPT-2 (an ack confirmed, no delivered receipt) judge
  // anything: the rest of a healthy run's messages stop here, before reading their events back.
  const offlineAtAccept = t.has(m, OFFLINE_AT_ACCEPT);
  const owedDelivered =
    s.expect.receipt === 'delivered' &&
    t.deliveredRcptIdx.get(m) < 0 &&
    st >= 0 &&
    s.l.stored.ackConfIdx.get(st) >= 0;
  if (!offlineAtAccept && !owedDelivered) return;
  const sender = msgSender(s.l, m);
  const acceptIdx = t.acceptIdx.get(m);
  const acceptT = tOf(s, acceptIdx);
  const smid = st >= 0 ? storedSmid(s.l, st) : undefined;
  const cmid = msgCmid(s.l, m);
  const to = msgTo(s.l, m);
  // RCPT-1: accepted while the receiver was offline → a stand-in `stored` receipt right after msg:A.
  if (offlineAtAccept) {
    const storedIdx = t.storedRcptIdx.get(m);
    if (storedIdx < 0) {
      const conn = connOfEvent(s, acceptIdx);
      const end = connEnd(s, conn);
      const excused = s.faults.touching(sender.id, conn.openT, end, LOSS, receiptFault(smid)) >= 0;
      if (end - acceptT >= s.graceMs && !excused) {
        s.sink.add({
          kind: 'missing-receipt',
          requirement: 'RCPT-1',
          expected: `ack:N stored for cmid ${cmid} after its msg:A (receiver ${to} offline)`,
          actual: `${sender.id} got no stored receipt`,
          evidence: [acceptIdx],
          cmid,
          smid,
        });
      }
    } else if (
      s.expect.standinWithinMs !== undefined &&
      tOf(s, storedIdx) - acceptT > s.expect.standinWithinMs
    ) {
      // The bound is the case's own reading of "right after msg:A": a threshold, not RCPT-1.
      s.sink.add({
        kind: 'latency',
        requirement: THRESHOLD_IDS.standinWithinMs,
        level: s.severity,
        expected: `stored receipt within ${s.expect.standinWithinMs} ms of msg:A`,
        actual: `after ${Math.round(tOf(s, storedIdx) - acceptT)} ms`,
        evidence: [acceptIdx, storedIdx],
        cmid,
        smid,
      });
    }
  }
  // RCPT-2: once a receiver device's ack covering the seq was confirmed, a sender device that
  // stayed connected gets `delivered`.
  if (s.expect.receipt !== 'delivered' || t.deliveredRcptIdx.get(m) >= 0 || st < 0) return;
  const ackIdx = s.l.stored.ackConfIdx.get(st);
  if (ackIdx < 0) return;
  const ackT = tOf(s, ackIdx);
  const conn = connAt(sender, ackT);
  if (!conn) return;
  // The server applied the ack somewhere between its request and the confirmation, and owes the
  // receipt to the sender sessions it knew at that moment. A session whose hello:A came after the
  // ack left the receiver may have been registered after it was applied: frames on two
  // connections reach the bots in no order the server promised (seen: a sync:R ackUpTo sent, the
  // sender's hello:A, then the sync:A — and the server had applied the ack first).
  const ackReqIdx = s.l.stored.ackReqIdx.get(st);
  if (ackReqIdx >= 0 && conn.sessionIdx > ackReqIdx) return;
  const end = connEnd(s, conn);
  if (end - ackT < s.graceMs) return;
  if (s.faults.touching(sender.id, conn.openT, end, LOSS, receiptFault(smid)) >= 0) return;
  // An earlier ack whose answer never came may have delivered it then (ack-effect.ts): the
  // receipt was due to the sender's connection of that moment. Owed here only when that is this
  // connection, or one that stayed long enough to show the receipt was never sent.
  const receiver = msgReceiver(s.l, m);
  const earlier = receiver && earliestUnansweredAck(receiver, s.l.stored.seqOf(st) ?? 0, ackT);
  if (earlier !== undefined) {
    const then = connAt(sender, earlier);
    if (then !== conn && (then === undefined || connEnd(s, then) - earlier < s.graceMs)) return;
  }
  s.sink.add({
    kind: 'missing-receipt',
    requirement: 'RCPT-2',
    expected: `ack:N delivered for cmid ${cmid} once ${to} acked seq ${s.l.stored.seqOf(st)}`,
    actual: `${sender.id} stayed connected ${Math.round(end - ackT)} ms after the ack and got none`,
    evidence: [acceptIdx, ackIdx],
    cmid,
    smid,
  });
}

/** The sender's session that was up at time t. */
function connAt(actor: ActorState, t: number): ConnState | undefined {
  for (let k = actor.conns.length - 1; k >= 0; k--) {
    const c = actor.conns[k]!;
    if (c.sessionIdx >= 0 && c.sessionT <= t && t < c.closeT) return c;
  }
  return undefined;
}

/** DEDUP-3: a duplicate answered while the receipt was known must be followed by that ack:N. */
export function judgeResentReceipts(s: Scan): void {
  const t = s.l.msgs;
  for (const actor of s.l.actors.values()) {
    for (const conn of actor.conns) {
      if (!conn.expectReceipt) continue;
      const end = connEnd(s, conn);
      for (const [smid, x] of conn.expectReceipt) {
        if (end - tOf(s, x.idx) < s.graceMs) continue;
        // Only a loss after the retransmission went out can explain a missing re-sent receipt:
        // the lost first receipt that made the sender retransmit explains nothing about the
        // second. From the msg:R, not the dup msg:A: the proxy records dropping the ack:N that
        // follows a msg:A on the wire before the bot records the msg:A (seen: 0.3 ms before).
        if (s.faults.touching(actor.id, tOf(s, x.reqIdx), end, LOSS, receiptFault(smid)) >= 0) continue;
        s.sink.add({
          kind: 'missing-receipt',
          requirement: 'DEDUP-3',
          expected: `ack:N for cmid ${msgCmid(s.l, x.msg)} again after the dup msg:A (its receipt was known)`,
          actual: `${actor.id} conn ${conn.n} got none`,
          evidence: [x.idx, t.deliveredRcptIdx.get(x.msg), t.storedRcptIdx.get(x.msg)],
          cmid: msgCmid(s.l, x.msg),
          smid,
        });
      }
    }
  }
}

/**
 * RCPT-3 for receipts that came before the message's seq was known anywhere: at the end, or (for
 * messages below `below`) when a streaming ledger retires them. Judged ones leave the list.
 */
export function judgeDeferredReceipts(s: Scan, below = Number.POSITIVE_INFINITY): void {
  const list = s.deferredReceipts;
  let keep = 0;
  for (const r of list) {
    if (r.msg >= below) {
      list[keep++] = r;
      continue;
    }
    const stored = r.stored >= 0 ? r.stored : s.l.msgs.stored.get(r.msg);
    const seq = stored >= 0 ? s.l.stored.seqOf(stored) : undefined;
    if (seq === undefined ? r.maxAckSent === 0 : r.maxAckSent < seq) {
      falseReceipt(s, r.idx, r.msg, stored, r.maxAckSent);
    }
  }
  list.length = keep;
}
