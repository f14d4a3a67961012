/**
 * The message ledger, Jepsen-set style but stricter: for every message, what the sender's app
 * sent, what the server accepted (msg:A), what was pushed and committed on each receiver device,
 * and what receipts came back. Checked in the pass: app duplicates (DEDUP-2, SEQ-3), unexpected
 * messages (SEQ-3), early delivered receipts (RCPT-3); recorded for the end: wire duplicates,
 * stand-in and delivered receipts, DEDUP-3's re-sent receipts.
 */

import type { CommitEvent, FrameEvent, GiveUpEvent, RetransmitEvent, SendEvent } from '../history/events.js';
import type { Scan } from './context.js';
import { observe } from './observe.js';
import { trackFirstPush } from './order.js';
import {
  type ActorState,
  type ConnState,
  findMsg,
  type Msg,
  msgOf,
  pairOf,
  type Req,
  Stored,
  type UserState,
} from './state.js';

/**
 * No device of `user` was connected (nor logging in) from `settleMs` before the request until the
 * answer: the server must have seen the receiver as offline (RCPT-1, DEDUP-3). Only users that are
 * the case's bots are judged — of anyone else we know nothing.
 */
export function offline(s: Scan, user: UserState | undefined, reqT: number, t: number): boolean {
  if (!user?.listed) return false;
  return user.connected === 0 && user.zeroSince <= Math.min(reqT - s.settleMs, t);
}

export function onSend(s: Scan, actor: ActorState, e: SendEvent, i: number): void {
  const m = msgOf(s.l, actor.user, e.cmid);
  if (m.sendIdx >= 0) return;
  m.sendIdx = i;
  m.sendT = e.t;
  m.sender ??= actor;
  m.to ??= e.to;
  m.body ??= e.body;
}

export function onRetransmit(s: Scan, actor: ActorState, e: RetransmitEvent, i: number): void {
  s.l.retransmitIdx.push(i);
  const m = actor.user.msgs.get(e.cmid);
  if (m) m.retransmits++;
}

export function onGiveUp(actor: ActorState, e: GiveUpEvent, i: number): void {
  const m = actor.user.msgs.get(e.cmid);
  if (m && m.gaveUpIdx < 0) m.gaveUpIdx = i;
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
  const m = msgOf(s.l, actor.user, cmid);
  const to = e.fields['to'];
  m.sender ??= actor;
  if (m.to === undefined && typeof to === 'string') m.to = to;
  if (m.body === undefined && typeof e.fields['body'] === 'string') m.body = e.fields['body'] as string;
  if (m.firstRIdx < 0) {
    m.firstRIdx = i;
    m.firstRT = e.t;
    if (m.to !== undefined) pairOf(actor.user, m.to).byRequest.push(m);
  }
  m.requests++;
  m.lastRT = e.t;
  if (req) req.msg = m;
}

export function onMsgAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number, req: Req): void {
  const actor = conn.actor;
  const m = req.msg ?? findMsg(s.l, actor.user.name, e.fields['cmid']);
  if (!m) return;
  m.answered = true;
  const smid = e.fields['smid'];
  if (typeof smid !== 'string') return;
  const l = s.l;
  let st = l.bySmid.get(smid);
  if (!st) {
    st = new Stored(smid, m);
    l.bySmid.set(smid, st);
  } else if (!st.msg) st.msg = m;
  if (!m.stored) m.stored = st;
  const recv = m.to === undefined ? undefined : l.users.get(m.to);
  if (m.acceptIdx < 0) {
    m.acceptIdx = i;
    m.acceptT = e.t;
    m.acceptReqT = req.t;
    m.acceptConn = conn;
    if (m.to !== undefined) pairOf(m.from, m.to).byAccept.push(m);
    m.offlineAtAccept = offline(s, recv, req.t, e.t);
  }
  if (e.fields['dup'] === true) {
    // DEDUP-3: the receipt is known when it was delivered (the sender saw it, or a receiver's ack
    // was confirmed) before this retransmission went out, or stored because the receiver is
    // offline. Each branch counts only when the server claims that receipt at all.
    const delivered = s.caps.has('delivered-receipt') && (m.deliveredRcptT < req.t || st.ackConfT < req.t);
    const stored = s.caps.has('standin-receipt') && offline(s, recv, req.t, e.t);
    if (delivered || stored) {
      conn.expectReceipt ??= new Map();
      conn.expectReceipt.set(smid, { idx: i, t: e.t, msg: m });
    }
  }
}

export function onMsgError(m: Msg | undefined, i: number): void {
  if (!m) return;
  m.answered = true;
  if (m.errorIdx < 0) m.errorIdx = i;
}

/** msg:N: an observation, maybe a wire duplicate, and an ORDER-2 data point. */
export function onPush(s: Scan, conn: ConnState, e: FrameEvent, i: number): void {
  const actor = conn.actor;
  const f = e.fields;
  const attempt = f['attempt'];
  if (attempt !== undefined) s.l.attemptSeen = true;
  const st = observe(s, actor, f, i, e.t);
  if (!st) return;
  const commits = st.msg?.commits;
  if (commits) {
    for (const rec of commits) {
      if (rec.actor === actor && rec.epoch === actor.epoch && rec.smid === st.smid) {
        s.l.wireDuplicates.push(i);
        break;
      }
    }
  }
  if (st.seq !== undefined) trackFirstPush(s, conn, st.seq, attempt, i);
}

/** The receiver's app committed a message: delivery, or an app duplicate. */
export function onCommit(s: Scan, actor: ActorState, e: CommitEvent, i: number): void {
  const fields = e as unknown as Record<string, unknown>;
  const st = observe(s, actor, fields, i, e.t);
  const m = st?.msg ?? findMsg(s.l, e.from, e.cmid);
  if (!m || (m.sendIdx < 0 && m.firstRIdx < 0)) {
    // Only a bot of this case could have sent it (users are fresh per case).
    if (s.l.users.get(e.from)?.listed) {
      s.sink.add({
        kind: 'unexpected-message',
        requirement: 'SEQ-3',
        expected: 'only messages the case sent are delivered',
        actual: `${actor.id} committed smid ${e.smid} (from ${e.from}, cmid ${e.cmid}) that no bot sent`,
        evidence: st ? [st.obsIdx, i] : [i],
        cmid: e.cmid,
        smid: e.smid,
      });
    }
    return;
  }
  if (
    !m.unexpected &&
    (e.cmid !== m.cmid || e.from !== m.from.name || (m.body !== undefined && e.body !== m.body))
  ) {
    m.unexpected = true;
    s.sink.add({
      kind: 'unexpected-message',
      requirement: 'SEQ-3',
      expected: `cmid ${m.cmid} from ${m.from.name} with the body that was sent`,
      actual: `${actor.id} committed it with ${e.cmid !== m.cmid ? `cmid ${e.cmid}` : e.from !== m.from.name ? `from ${e.from}` : 'a different body'}`,
      evidence: [m.sendIdx >= 0 ? m.sendIdx : m.firstRIdx, i],
      cmid: m.cmid,
      smid: e.smid,
    });
  }
  m.commits ??= [];
  const recs = m.commits;
  for (const rec of recs) {
    if (rec.actor !== actor || rec.epoch !== actor.epoch) continue;
    s.l.appDuplicates++;
    const sameSmid = rec.smid === e.smid;
    s.sink.add({
      kind: 'app-duplicate',
      // The same smid twice means a push changed its seq past the app's dedup (SEQ-3); a second
      // smid for one (from, cmid) means the server stored a retransmission twice (DEDUP-2).
      requirement: sameSmid ? 'SEQ-3' : 'DEDUP-2',
      expected: `${actor.id} commits cmid ${m.cmid} from ${m.from.name} once`,
      actual: sameSmid
        ? `committed smid ${e.smid} twice`
        : `committed it as smid ${rec.smid} and again as smid ${e.smid}`,
      evidence: [rec.idx, i],
      cmid: m.cmid,
      smid: e.smid,
    });
    break;
  }
  recs.push({ actor, epoch: actor.epoch, smid: e.smid, idx: i });
  if (m.firstCommitIdx < 0) {
    m.firstCommitIdx = i;
    m.firstCommitT = e.t;
  }
}

/** ack:N: a receipt for one of the actor's messages. */
export function onReceipt(s: Scan, conn: ConnState, e: FrameEvent, i: number): void {
  const actor = conn.actor;
  const smid = e.fields['smid'];
  const st = typeof smid === 'string' ? s.l.bySmid.get(smid) : undefined;
  const m = st?.msg ?? findMsg(s.l, actor.user.name, e.fields['cmid']);
  if (typeof smid === 'string') conn.expectReceipt?.delete(smid);
  if (!m) return;
  if (Number.isNaN(m.firstRcptT)) m.firstRcptT = e.t;
  const status = e.fields['status'];
  if (status === 'stored') {
    if (m.storedRcptIdx < 0) {
      m.storedRcptIdx = i;
      m.storedRcptT = e.t;
    }
    return;
  }
  if (status !== 'delivered') return;
  if (m.deliveredRcptIdx < 0) {
    m.deliveredRcptIdx = i;
    m.deliveredRcptT = e.t;
  }
  // RCPT-3: some device of the receiver must have acked the seq before this receipt arrived.
  const receiver = m.to === undefined ? undefined : s.l.users.get(m.to);
  if (!receiver?.listed) return;
  const stored = st ?? m.stored;
  const seq = stored?.seq;
  if (seq === undefined) {
    s.deferredReceipts.push({ idx: i, msg: m, stored, receiver, maxAckSent: receiver.maxAckSent });
  } else if (receiver.maxAckSent < seq) {
    falseReceipt(s, i, m, stored, receiver.maxAckSent);
  }
}

export function falseReceipt(s: Scan, i: number, m: Msg, stored: Stored | undefined, acked: number): void {
  s.sink.add({
    kind: 'false-receipt',
    requirement: 'RCPT-3',
    expected: `a delivered receipt only after a device of ${m.to} acked seq ${stored?.seq ?? '(never seen)'}`,
    actual: `delivered arrived when ${m.to}'s devices had acked up to ${acked}`,
    evidence: [m.acceptIdx, stored?.seqIdx ?? -1, i],
    cmid: m.cmid,
    smid: stored?.smid,
  });
}
