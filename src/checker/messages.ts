/**
 * The message ledger, Jepsen-set style but stricter: for every message, what the sender's app
 * sent, what the server accepted (msg:A), what was pushed and committed on each receiver device,
 * and what receipts came back. Checked in the pass: app duplicates (DEDUP-2, SEQ-3), unexpected
 * messages (SEQ-3), early delivered receipts (RCPT-3); recorded for the end: wire duplicates,
 * stand-in and delivered receipts, DEDUP-3's re-sent receipts.
 */

import type { CommitEvent, FrameEvent, GiveUpEvent, SendEvent } from '../history/events.js';
import type { Scan } from './context.js';
import { msgBody, msgCmid, msgReceiver, msgSender, msgTo, storedMsg, storedSmid } from './msg-reads.js';
import { findStored, noteServerSighting, observe, storedOf } from './observe.js';
import { trackFirstPush } from './order.js';
import {
  type ActorState,
  type ConnState,
  findMsg,
  msgOf,
  pairOf,
  type Req,
  SAMPLE,
  type UserState,
  userMsg,
} from './state.js';
import { ANSWERED, DUPLICATED, OFFLINE_AT_ACCEPT, SENT, SETTLED, UNEXPECTED } from './tables.js';

/**
 * No device of `user` was connected (nor logging in) from `settleMs` before the request until the
 * answer: the server must have seen the receiver as offline (RCPT-1, DEDUP-3). Only users that are
 * the case's bots are judged — of anyone else we know nothing.
 */
export function offline(s: Scan, user: UserState | undefined, reqT: number, answer: FrameEvent): boolean {
  if (!user?.listed) return false;
  // The answer's time read last: a double is boxed apart from its event, a cache miss per read.
  return user.connected === 0 && user.zeroSince <= Math.min(reqT - s.settleMs, answer.t);
}

export function onSend(s: Scan, actor: ActorState, e: SendEvent, i: number): void {
  const m = msgOf(s.l, actor.user, e.cmid, i);
  if (s.l.msgs.originIdx.get(m) === i) s.l.msgs.set(m, SENT);
  actor.lastCmid = e.cmid;
  actor.lastMsg = m;
}

export function onRetransmit(s: Scan, i: number): void {
  if (s.l.retransmits++ < SAMPLE) s.l.retransmitIdx.push(i);
}

export function onGiveUp(s: Scan, actor: ActorState, e: GiveUpEvent, i: number): void {
  const m = userMsg(s.l, actor.user, e.cmid);
  if (m >= 0 && !s.l.msgs.gaveUpIdx.has(m)) s.l.msgs.gaveUpIdx.set(m, i);
}

export function onMsgRequest(
  s: Scan,
  actor: ActorState,
  e: FrameEvent,
  i: number,
  req: Req | undefined,
): void {
  const cmid = e.fields['cmid'];
  if (typeof cmid !== 'string') return;
  const l = s.l;
  const t = l.msgs;
  // A retransmission of a message the streaming ledger already judged and forgot (its sender's
  // timer fired late): an echo, not a new message sent after the later ones (ORDER-1).
  const known =
    cmid === actor.lastCmid && actor.lastMsg >= t.base ? actor.lastMsg : userMsg(l, actor.user, cmid);
  if (known < 0 && l.retired?.has(actor.user.name, cmid)) return;
  const m = known >= 0 ? known : msgOf(l, actor.user, cmid, i);
  actor.lastCmid = cmid;
  actor.lastMsg = m;
  if (t.firstRIdx.get(m) < 0) {
    t.firstRIdx.set(m, i);
    const to = msgTo(l, m);
    if (to !== undefined) pairOf(actor.user, to).byRequest.push(m);
  } else {
    t.lastRIdx.set(m, i);
    t.moreRequests.set(m, (t.moreRequests.get(m) ?? 0) + 1);
  }
  if (req) req.msg = m;
}

export function onMsgAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number, req: Req): void {
  const l = s.l;
  const t = l.msgs;
  const m = req.msg >= 0 ? req.msg : findMsg(l, conn.actor.user.name, e.fields['cmid']);
  if (m < 0) return;
  t.set(m, ANSWERED);
  const smid = e.fields['smid'];
  if (typeof smid !== 'string') return;
  const st = storedOf(l, smid, m, i, -1);
  const to = msgTo(l, m);
  const recv = msgReceiver(l, m);
  const reqT = req.t;
  if (t.acceptIdx.get(m) < 0) {
    t.acceptIdx.set(m, i);
    // A fresh store by a retransmission: not stored before that msg:R went out (storedFromIdx).
    if (e.fields['dup'] !== true && req.idx > t.firstRIdx.get(m) && t.firstRIdx.get(m) >= 0) {
      t.storedFromRIdx.set(m, req.idx);
    }
    const firstR = t.firstRIdx.get(m);
    if (s.timing && firstR >= 0) s.timing.accepted(s, m, e.t - l.log.t(firstR));
    if (to !== undefined) pairOf(conn.actor.user, to).byAccept.push(m);
    // A duplicate's answer seen first (the original msg:A was lost with its connection): the
    // message was stored at some time since its first msg:R, so it was accepted offline (RCPT-1)
    // only if the receiver has been offline since then; otherwise DEDUP-3 says which receipt the
    // server owes with this answer.
    const since = e.fields['dup'] === true && firstR >= 0 ? l.log.t(firstR) : reqT;
    if (offline(s, recv, since, e)) t.set(m, OFFLINE_AT_ACCEPT);
  } else if (req.idx > t.acceptIdx.get(m) && (e.fields['dup'] !== true || st !== t.stored.get(m))) {
    // A retransmission sent after the first msg:A arrived, answered as a new message (DEDUP-1):
    // judged at the end, when a crash in between turns it into DUR-1 or DUR-3.
    const limits = conn.limits;
    const window = limits ? limits.dedupWindowMs : Number.POSITIVE_INFINITY;
    if (reqT - l.log.at(t.acceptIdx.get(m)).t <= window) {
      const first = t.stored.get(m);
      const seenAfterStopIdx = first >= 0 ? (l.stored.seenAfterStopIdx.get(first) ?? -1) : -1;
      s.reaccepts.push({ msg: m, idx: i, reqIdx: req.idx, first, again: st, seenAfterStopIdx });
    }
  }
  if (e.fields['dup'] === true) {
    // DEDUP-3: the receipt is known when it was delivered (the sender saw it, or a receiver's ack
    // was confirmed) before this retransmission went out, or stored because the receiver is
    // offline. Each branch counts only when the server claims that receipt at all. Indexes are
    // in time order, so "before the retransmission" is "a smaller index".
    const before = (idx: number) => idx >= 0 && idx < req.idx;
    const delivered =
      s.caps.has('delivered-receipt') &&
      (before(t.deliveredRcptIdx.get(m)) || before(l.stored.ackConfIdx.get(st)));
    const stored = s.caps.has('standin-receipt') && offline(s, recv, reqT, e);
    if (delivered || stored) {
      conn.expectReceipt ??= new Map();
      // Keep the first unmet one: a sender that keeps retransmitting must not reset the clock.
      if (!conn.expectReceipt.has(smid)) conn.expectReceipt.set(smid, { idx: i, msg: m, reqIdx: req.idx });
    }
  }
}

export function onMsgError(s: Scan, m: number, i: number): void {
  if (m < 0) return;
  const t = s.l.msgs;
  t.set(m, ANSWERED);
  if (!t.errorIdx.has(m)) t.errorIdx.set(m, i);
}

/**
 * The commit event of message `m` by `actor` in its current app epoch (of `smid`, when given), or
 * -1. A commit event carries its actor and smid, so the ledger keeps only its index.
 */
function committedIn(s: Scan, m: number, actor: ActorState, smid?: string): number {
  const log = s.l.log;
  return s.l.msgs.findCommit(m, actor.epoch, (idx) => {
    const e = log.at(idx) as CommitEvent;
    return e.actor === actor.id && (smid === undefined || e.smid === smid);
  });
}

/** msg:N: an observation, maybe a wire duplicate, and an ORDER-2 data point. */
export function onPush(s: Scan, conn: ConnState, e: FrameEvent, i: number): void {
  const actor = conn.actor;
  const f = e.fields;
  const attempt = f['attempt'];
  if (attempt !== undefined) s.l.attemptSeen = true;
  const st = observe(s, actor, f, i);
  if (st < 0) return;
  noteServerSighting(s, st, i);
  // A push of a message this device already committed (in its current app epoch).
  const m = storedMsg(s.l, st);
  if (m >= 0 && s.l.msgs.commitIdx.get(m) >= 0 && committedIn(s, m, actor, f['smid'] as string) >= 0) {
    if (s.l.wireDuplicates++ < SAMPLE) s.l.wireDuplicateIdx.push(i);
  }
  const seq = s.l.stored.seqOf(st);
  if (seq !== undefined) trackFirstPush(s, conn, seq, attempt, i);
}

/** The receiver's app committed a message: delivery, or an app duplicate. */
export function onCommit(s: Scan, actor: ActorState, e: CommitEvent, i: number): void {
  const l = s.l;
  const t = l.msgs;
  const st = observe(s, actor, e as unknown as Record<string, unknown>, i);
  const linked = st >= 0 ? storedMsg(l, st) : -1;
  const m = linked >= 0 ? linked : findMsg(l, e.from, e.cmid);
  if (m < 0) {
    // Only a bot of this case could have sent it (users are fresh per case) — unless the
    // streaming ledger already judged and forgot it (a late echo).
    if (l.users.get(e.from)?.listed && !l.retired?.has(e.from, e.cmid)) {
      s.sink.add({
        kind: 'unexpected-message',
        requirement: 'SEQ-3',
        expected: 'only messages the case sent are delivered',
        actual: `${actor.id} committed smid ${e.smid} (from ${e.from}, cmid ${e.cmid}) that no bot sent`,
        evidence: st >= 0 ? [l.stored.obsIdx.get(st), i] : [i],
        cmid: e.cmid,
        smid: e.smid,
      });
    }
    return;
  }
  if (!t.has(m, UNEXPECTED)) {
    const cmid = msgCmid(l, m);
    const from = msgSender(l, m).user.name;
    const body = msgBody(l, m);
    if (e.cmid !== cmid || e.from !== from || (body !== undefined && e.body !== body)) {
      t.set(m, UNEXPECTED);
      s.sink.add({
        kind: 'unexpected-message',
        requirement: 'SEQ-3',
        expected: `cmid ${cmid} from ${from} with the body that was sent`,
        actual: `${actor.id} committed it with ${e.cmid !== cmid ? `cmid ${e.cmid}` : e.from !== from ? `from ${e.from}` : 'a different body'}`,
        evidence: [t.originIdx.get(m), i],
        cmid,
        smid: e.smid,
      });
    }
  }
  const prev = t.commitIdx.get(m) >= 0 ? committedIn(s, m, actor) : -1;
  if (prev >= 0) {
    l.appDuplicates++;
    t.set(m, DUPLICATED);
    const sameSmid = committedIn(s, m, actor, e.smid) >= 0;
    s.sink.add({
      kind: 'app-duplicate',
      // The same smid twice means a push changed its seq past the app's dedup (SEQ-3); a second
      // smid for one (from, cmid) means the server stored a retransmission twice (DEDUP-2).
      requirement: sameSmid ? 'SEQ-3' : 'DEDUP-2',
      expected: `${actor.id} commits cmid ${e.cmid} from ${e.from} once`,
      actual: sameSmid
        ? `committed smid ${e.smid} twice`
        : `committed it as smid ${(l.log.at(prev) as CommitEvent).smid} and again as smid ${e.smid}`,
      evidence: [prev, i],
      cmid: e.cmid,
      smid: e.smid,
    });
  }
  const first = t.commitIdx.get(m) < 0;
  t.addCommit(m, i, actor.epoch);
  if (first && s.timing) {
    s.timing.delivered(s, m, e.t - l.log.t(t.originIdx.get(m)));
    settle(s, m);
  }
}

/**
 * Delivered, with the receipt the case expects: the message is no longer in flight (the
 * streaming ledger's count; its verdicts still wait for the end or its retirement).
 */
function settle(s: Scan, m: number): void {
  const t = s.l.msgs;
  if (t.has(m, SETTLED) || !t.delivered(m)) return;
  const receipt = s.expect.receipt;
  if (receipt === 'delivered' ? t.deliveredRcptIdx.get(m) < 0 : receipt === 'any' && t.firstRcptIdx(m) < 0)
    return;
  t.set(m, SETTLED);
  s.timing!.settled(s, m);
}

/** ack:N: a receipt for one of the actor's messages. */
export function onReceipt(s: Scan, conn: ConnState, e: FrameEvent, i: number): void {
  const l = s.l;
  const t = l.msgs;
  const smid = e.fields['smid'];
  const cmid = e.fields['cmid'];
  const byCmid = typeof cmid === 'string' ? userMsg(l, conn.actor.user, cmid) : -1;
  const st = typeof smid === 'string' ? findStored(l, smid, byCmid) : -1;
  const linked = st >= 0 ? storedMsg(l, st) : -1;
  const m = linked >= 0 ? linked : byCmid;
  if (typeof smid === 'string') conn.expectReceipt?.delete(smid);
  if (m < 0) return;
  const status = e.fields['status'];
  if (s.timing && (status === 'stored' || status === 'delivered')) {
    if (t.firstRcptIdx(m) < 0) s.timing.receipted(s, m, e.t - l.log.t(t.originIdx.get(m)));
  }
  if (status === 'stored') {
    if (t.storedRcptIdx.get(m) < 0) t.storedRcptIdx.set(m, i);
    if (s.timing) settle(s, m);
    return;
  }
  if (status !== 'delivered') return;
  if (t.deliveredRcptIdx.get(m) < 0) t.deliveredRcptIdx.set(m, i);
  if (s.timing) settle(s, m);
  // RCPT-3: some device of the receiver must have acked the seq before this receipt arrived.
  const receiver = msgReceiver(l, m);
  if (!receiver?.listed) return;
  const stored = st >= 0 ? st : t.stored.get(m);
  const seq = stored >= 0 ? l.stored.seqOf(stored) : undefined;
  if (seq === undefined) {
    s.deferredReceipts.push({ idx: i, msg: m, stored, receiver, maxAckSent: receiver.maxAckSent });
  } else if (receiver.maxAckSent < seq) {
    falseReceipt(s, i, m, stored, receiver.maxAckSent);
  }
}

export function falseReceipt(s: Scan, i: number, m: number, stored: number, acked: number): void {
  const l = s.l;
  const seq = stored >= 0 ? l.stored.seqOf(stored) : undefined;
  const to = msgTo(l, m);
  s.sink.add({
    kind: 'false-receipt',
    requirement: 'RCPT-3',
    expected: `a delivered receipt only after a device of ${to} acked seq ${seq ?? '(never seen)'}`,
    actual: `delivered arrived when ${to}'s devices had acked up to ${acked}`,
    evidence: [l.msgs.acceptIdx.get(m), stored >= 0 ? l.stored.seqIdx(stored) : -1, i],
    cmid: msgCmid(l, m),
    smid: stored >= 0 ? storedSmid(l, stored) : undefined,
  });
}
