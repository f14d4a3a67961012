/**
 * Verdicts that need the whole history: lost messages, sends with unknown outcome, seq holes no
 * device ever filled (SEQ-1) and re-accepted messages; the receipt verdicts (RCPT-1, RCPT-2,
 * DEDUP-3, late RCPT-3) are in receipt-verdicts.ts. Each one asks first whether the server had
 * the chance — a device connected long enough, a sender still there to receive — and whether a
 * crash or an injected fault explains it, so a correct server under faults gets no finding.
 */

import { connEnd, type EndCounts, type Scan } from './context.js';
import { CORRUPT, LOSS } from './fault-index.js';
import { msgCmid, msgReceiver, storedSmid } from './msg-reads.js';
import { owedTo } from './owed.js';
import { judgeReceipts } from './receipt-verdicts.js';
import { connOfEvent, tOf } from './scan-reads.js';
import type { ActorState, UserState } from './state.js';
import { ANSWERED, DUPLICATED, JUDGED, LOST, OFFLINE_AT_ACCEPT, SENT } from './tables.js';

function connectedAtEnd(d: ActorState): boolean {
  return d.sessionConn?.open === true;
}

/** Whether device `d` ever committed message `m` (any epoch). */
function committedBy(s: Scan, m: number, d: ActorState): boolean {
  const log = s.l.log;
  const first = s.l.msgs.commitIdx.get(m);
  if (first < 0) return false;
  // The usual case — one commit, checked inline — allocates nothing.
  if ((log.at(first) as { actor?: string }).actor === d.id) return true;
  if (!s.l.msgs.moreCommits.has(m)) return false;
  return s.l.msgs.findCommit(m, -1, (idx) => (log.at(idx) as { actor?: string }).actor === d.id) >= 0;
}

export function judgeMessages(s: Scan): void {
  const t = s.l.msgs;
  for (let m = t.base; m < t.size; m++) judgeMessage(s, m);
}

/**
 * One message's end verdicts: counted, then lost, unknown outcome or missing receipts. Judged
 * once — at the end, or earlier when a streaming ledger retires it (JUDGED).
 */
export function judgeMessage(s: Scan, m: number): void {
  const t = s.l.msgs;
  if (t.has(m, JUDGED)) return;
  t.set(m, JUDGED);
  const counts = s.counts;
  if (t.has(m, SENT)) counts.sent++;
  if (t.delivered(m)) counts.delivered++;
  if (t.acceptIdx.get(m) < 0) {
    if (t.has(m, SENT)) unknownOutcome(s, m, counts);
    return;
  }
  counts.accepted++;
  const receiver = msgReceiver(s.l, m);
  if (receiver && lost(s, m, receiver, s.caps.has('multi-device'), s.caps.has('server-repush'))) {
    countLost(s, m);
  }
  if (s.expect.receipt !== 'none') judgeReceipts(s, m);
}

/** A message counts as lost once, whichever rule found it (PUSH-1, OFF-1, DUR-1). */
function countLost(s: Scan, m: number): void {
  if (s.l.msgs.has(m, LOST)) return;
  s.l.msgs.set(m, LOST);
  s.counts.lost++;
}

/**
 * A retransmission the server stored again as new (DEDUP-1, DUR-3) is an app duplicate in the
 * figures, as in the verdict — unless a device's second commit of it was counted already.
 */
function countDuplicate(s: Scan, m: number): void {
  if (s.l.msgs.has(m, DUPLICATED)) return;
  s.l.msgs.set(m, DUPLICATED);
  s.l.appDuplicates++;
}

function unknownOutcome(s: Scan, m: number, counts: EndCounts): void {
  const t = s.l.msgs;
  counts.unknownOutcome++;
  const delivered = t.delivered(m);
  if (delivered) counts.recovered++;
  // Never on the wire (the sender never connected): nothing the server could have answered.
  if (!s.expect.allAccepted || t.firstRIdx.get(m) < 0) return;
  const gaveUp = t.gaveUpIdx.get(m) ?? -1;
  // Still being retried when the case ended: not a verdict yet.
  if (gaveUp < 0 && s.endT - tOf(s, t.lastR(m)) < s.graceMs) return;
  const answered = t.has(m, ANSWERED);
  // The kit itself killed (or stopped) the target while the last attempt's connection was up: the
  // kill explains the silence as a proxy's drop would — the message's outcome is unknown, not a
  // request the server left unanswered (RID-1). From the connection's start, not the attempt's:
  // the kill is recorded as the kit sends the signal, and an attempt sent on that connection in
  // the moment before it lands (seen: 0.6 ms after, in a load's kill -9) may have reached a server
  // that died before answering. A server that stays silent to an attempt sent on a connection
  // opened after it came back is still charged.
  const lastR = t.lastR(m);
  if (!answered && lastR >= 0) {
    const conn = connOfEvent(s, lastR);
    if (s.faults.targetAction(conn.openT, connEnd(s, conn), true) >= 0) return;
  }
  // An injected fault on this message's own msg:R or msg:A (or a stall of the sender's
  // connection) explains a send that never saw its msg:A — typically a lost msg:A whose
  // delivered receipt then ended the retransmissions. That is the network's doing, not the server's.
  const cmid = msgCmid(s.l, m);
  const sendEvent = s.l.log.at(t.sendIdx(m));
  const sender = sendEvent?.kind === 'send' ? sendEvent.actor : undefined;
  if (
    !answered &&
    sender !== undefined &&
    s.faults.touching(
      sender,
      tOf(s, t.firstRIdx.get(m)),
      s.endT,
      LOSS | CORRUPT,
      (f) => f.type === undefined || f.cmid === cmid,
    ) >= 0
  ) {
    return;
  }
  s.sink.add({
    kind: 'unknown-outcome',
    requirement: answered ? 'MSG-1' : 'RID-1',
    expected: `cmid ${msgCmid(s.l, m)} accepted with msg:A (the case expects every send accepted)`,
    actual: `${t.requests(m)} msg:R, ${answered ? 'answered only with error:A' : 'never answered'}${gaveUp >= 0 ? ', then the sender gave up' : ''}${delivered ? '; the receiver has it anyway' : ''}`,
    evidence: [t.sendIdx(m), t.firstRIdx.get(m), t.errorIdx.get(m) ?? -1, gaveUp],
    cmid: msgCmid(s.l, m),
  });
}

/** Accepted, and never committed by a receiver device that was connected at the end and had time. */
function lost(s: Scan, m: number, receiver: UserState, multiDevice: boolean, repush: boolean): boolean {
  const t = s.l.msgs;
  const st = t.stored.get(m);
  const missing: ActorState[] = [];
  let anyCommitted = false;
  // Read back from the events only for a device that did not commit it: a healthy run's messages
  // end at committedBy, and every read here is an event the pass left long ago (a cache miss).
  let read = false;
  let seq: number | undefined;
  let smid: string | undefined;
  let acceptT = Number.NaN;
  let storedFromT = Number.NaN;
  for (const d of receiver.devices) {
    if (committedBy(s, m, d)) {
      anyCommitted = true;
      continue;
    }
    if (!connectedAtEnd(d)) continue;
    if (!read) {
      read = true;
      seq = st >= 0 ? s.l.stored.seqOf(st) : undefined;
      smid = st >= 0 ? storedSmid(s.l, st) : undefined;
      acceptT = tOf(s, t.acceptIdx.get(m));
      // A streaming ledger may have forgotten the msg:R: the msg:A is the next best bound.
      storedFromT = tOf(s, t.storedFromIdx(m));
      if (Number.isNaN(storedFromT)) storedFromT = acceptT;
    }
    if (!owedTo(d, seq, storedFromT)) continue;
    if (s.endT - Math.max(acceptT, d.liveSince) < s.graceMs) continue;
    // A stalled (half-open) session, or a dropped push on a server that does not re-push.
    const fault = s.faults.touching(
      d.id,
      d.liveSince,
      s.endT,
      LOSS,
      (f) => f.type === undefined || (!repush && f.type === 'msg:N' && f.smid === smid),
    );
    if (fault >= 0) continue;
    missing.push(d);
  }
  // Without multi-device, one device of the receiver having it is delivery.
  if (missing.length === 0 || (!multiDevice && anyCommitted)) return false;
  const crash = s.faults.targetAction(acceptT, s.endT, true);
  const offlineAtAccept = t.has(m, OFFLINE_AT_ACCEPT);
  const requirement = crash >= 0 ? 'DUR-1' : offlineAtAccept ? 'OFF-1' : 'PUSH-1';
  if (!s.expect.exactlyOnce) return true;
  s.sink.add({
    kind: 'lost',
    requirement,
    expected: `cmid ${msgCmid(s.l, m)} (smid ${smid ?? '?'}) committed by every connected device of ${receiver.name}`,
    actual: `never committed by ${missing.map((d) => `${d.id} (connected since ${Math.round(d.liveSince)} ms)`).join(', ')}; accepted at ${Math.round(acceptT)} ms, case ended at ${Math.round(s.endT)} ms${crash >= 0 ? `, ${targetBetween(s, crash)}` : offlineAtAccept ? ', receiver was offline at accept' : ''}`,
    evidence: [
      t.sendIdx(m),
      t.acceptIdx.get(m),
      st >= 0 ? s.l.stored.seqIdx(st) : -1,
      crash,
      ...missing.map((d) => d.sessionConn?.sessionIdx ?? -1),
    ],
    cmid: msgCmid(s.l, m),
    smid,
  });
  return true;
}

/**
 * SEQ-1: a seq between a device's starting point and the highest seq it had seen `grace` before
 * the end, that no device of the user ever saw although this one stayed connected to the end —
 * a client fetches gaps (docs/protocol.md section 12), so a hole that outlives that is real.
 */
export function judgeHoles(s: Scan): void {
  if (!s.caps.has('contiguous-seq')) return;
  const cutoff = s.endT - s.graceMs;
  const bound = 10 * s.l.log.count + 1000;
  for (const user of s.l.users.values()) {
    for (const d of user.devices) {
      if (!connectedAtEnd(d) || d.maxSteps.length === 0) continue;
      const hi = seenBy(d, cutoff);
      const lo = (d.firstBase ?? 0) + 1;
      if (hi - lo > bound) continue;
      let run: number[] = [];
      const flush = () => {
        if (run.length === 0) return;
        s.l.seqGaps += run.length;
        const above = user.seqs.get(run[run.length - 1]! + 1);
        s.sink.add({
          kind: 'seq-gap',
          requirement: 'SEQ-1',
          expected: `contiguous seqs in ${user.name}'s inbox`,
          actual: `seq ${run.length > 3 ? `${run[0]}…${run[run.length - 1]}` : run.join(', ')} never reached any device; ${d.id} saw seq ${hi} and stayed connected`,
          evidence: [above >= 0 ? s.l.stored.seqIdx(above) : -1],
        });
        run = [];
      };
      for (let seq = lo; seq < hi; seq++) {
        if (user.seqs.has(seq) || user.holeReported(seq)) {
          flush();
          continue;
        }
        user.reportHole(seq);
        run.push(seq);
      }
      flush();
    }
  }
}

/** The highest seq `d` had seen at or before time t (its max rises in steps). */
function seenBy(d: ActorState, t: number): number {
  const steps = d.maxSteps;
  let lo = 0;
  let hi = steps.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[2 * mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : steps[2 * (lo - 1) + 1]!;
}

/**
 * A retransmission sent after its message was accepted, answered as a new message (no dup: true,
 * or a new smid). After a crash in between, the first copy either never showed up again — an
 * acknowledged message did not survive (DUR-1); a server that numbers smids deterministically may
 * even re-create it under the same smid, and the missing dup: true is the only trace — or it did,
 * and the crash lost the dedup state (DUR-3). Without a crash it is DEDUP-1. All of it presumes
 * dedup: without the capability a retransmission is a new message by definition.
 */
export function judgeReaccepts(s: Scan): void {
  // Final when recorded (the crash, the first accept and what was seen since all came before
  // the answer), so a streaming ledger judges them at each retirement; judged ones leave the list.
  const list = s.reaccepts.splice(0);
  if (!s.caps.has('dedup')) return;
  const t = s.l.msgs;
  const st = s.l.stored;
  for (const r of list) {
    const firstAcceptIdx = t.acceptIdx.get(r.msg);
    const crash = s.faults.targetAction(tOf(s, firstAcceptIdx), tOf(s, r.reqIdx), true);
    const firstSmid = storedSmid(s.l, r.first);
    const againSmid = storedSmid(s.l, r.again);
    const cmid = msgCmid(s.l, r.msg);
    const answered =
      againSmid === firstSmid ? `smid ${againSmid} without dup: true` : `a new smid ${againSmid}`;
    const base = { cmid, smid: firstSmid, evidence: [firstAcceptIdx, crash, r.reqIdx, r.idx] };
    if (crash < 0) {
      countDuplicate(s, r.msg);
      s.sink.add({
        ...base,
        kind: 'app-duplicate',
        requirement: 'DEDUP-1',
        expected: `the retransmission of cmid ${cmid} answered with smid ${firstSmid} and dup: true`,
        actual: `it was answered as a new message: ${answered}`,
      });
      continue;
    }
    // Seen after the crash (a push, a page, a commit) before the retransmission was answered:
    // the message survived, its dedup record did not. A copy first seen before the crash counts
    // when the server pushed or paged it again after the restart.
    const between = (idx: number) => idx > crash && idx < r.idx;
    const survived =
      between(Math.max(st.obsIdx.get(r.first), st.seqIdx(r.first))) || between(r.seenAfterStopIdx);
    // Acknowledged before the kill, unknown after the restart: that message is lost (DUR-1);
    // stored again as new while it survived: a duplicate (DUR-3).
    if (survived) countDuplicate(s, r.msg);
    else countLost(s, r.msg);
    s.sink.add({
      ...base,
      kind: survived ? 'app-duplicate' : 'lost',
      requirement: survived ? 'DUR-3' : 'DUR-1',
      expected: survived
        ? `after the restart, the retransmission of cmid ${cmid} is recognised: smid ${firstSmid}, dup: true`
        : `smid ${firstSmid}, answered with msg:A before the crash, still stored after the restart`,
      actual: survived
        ? `it was answered as a new message: ${answered}`
        : `the server did not know it: the retransmission was answered as a new message (${answered})`,
    });
  }
}

/** What the target went through between the accept and the end (a clean restart is no crash). */
function targetBetween(s: Scan, idx: number): string {
  const e = s.l.log.at(idx);
  if (e.kind !== 'target') return 'the target was stopped or restarted in between';
  switch (e.action) {
    case 'kill':
      return 'the target was killed (SIGKILL) in between';
    case 'term':
      return 'the target was stopped (SIGTERM) in between';
    case 'restart':
      return 'the target was restarted in between';
    case 'exited':
      return 'the target exited on its own in between';
    default:
      return `the target was ${e.action} in between`;
  }
}
