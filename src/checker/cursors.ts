/**
 * Ack cursors and session counts. ack:A carries the device's cursor after the ack (ACK-1), and a
 * cursor never moves backwards (ACK-4) nor forgets a restart (DUR-2); `sync:R.ackUpTo` acts as an
 * ack (SYNC-3); hello:A's `pending` is `maxSeq − lastSeq` when the device sent `lastSeq`
 * (HELLO-1). Requests may be in flight together and answers may come out of order (RID-3), so
 * each answer is checked against an interval, never a single value:
 *   lower = max(requested, cursor confirmed before the request went out)
 *   upper = max(requested, everything this device ever asked for, maxSeq at its first hello)
 * A correct server always answers inside it; one device's cursor leaking into another's (MDEV-1)
 * lands above it.
 */

import type { FrameEvent, SessionEvent } from '../history/events.js';
import type { Scan } from './context.js';
import { num } from './field-values.js';
import type { ActorState, ConnState, Ledger, Req, UserState } from './state.js';

/** An ack left the device: ack:R upTo, sync:R ackUpTo, or hello:R lastSeq (HELLO-2). */
export function ackSent(actor: ActorState, upTo: number): void {
  if (upTo > actor.requestedMax) actor.requestedMax = upTo;
  if (upTo > actor.user.maxAckSent) actor.user.maxAckSent = upTo;
}

export function onAckRequest(actor: ActorState, req: Req | undefined, upTo: unknown): void {
  const n = num(upTo);
  if (n === undefined) return;
  if (req) req.cursorAtSend = actor.cursorLo;
  ackSent(actor, n);
}

/**
 * The seqs an ack of device `d` can stand for are above its starting point: a device that first
 * logged in without local state started at maxSeq − pending (NEWDEV-1), and the history below it
 * was never its to commit — its cumulative ack:R says nothing about those messages, and a server
 * rightly sends no delivered receipt for them on its account (RCPT-2, DEDUP-3).
 */
export function ackFloor(d: ActorState): number {
  return d.firstHadState ? 0 : (d.firstBase ?? 0);
}

/** Whether a confirmed ack of a device of `user` that was owed `seq` covers it. */
export function ackCovers(user: UserState, seq: number): boolean {
  if (seq <= user.ackConfirmed) return true;
  for (const d of user.devices) if (ackFloor(d) < seq && seq <= d.ackCovered) return true;
  return false;
}

/**
 * The server confirmed (event `i`) the device's cursor is at least `upTo`, in answer to request
 * `reqIdx`. Every seq newly covered for the user is marked acked now: the delivered receipt is
 * owed from this moment (RCPT-2), to the sender's sessions the server knew when it applied the
 * ack — somewhere between the request and its confirmation.
 */
export function confirmCursor(
  l: Ledger,
  actor: ActorState,
  upTo: number,
  by: 'ack' | 'sync',
  t: number,
  i: number,
  reqIdx: number,
): void {
  if (upTo > actor.cursorLo) {
    actor.cursorLo = upTo;
    actor.cursorLoBy = by;
    actor.cursorLoIdx = i;
    actor.cursorLoT = t;
  }
  const user = actor.user;
  // Only what lies above the device's starting point (ackFloor), and each seq once per device.
  const floor = ackFloor(actor);
  const from = Math.max(user.ackConfirmed, floor, actor.ackCovered) + 1;
  if (upTo > actor.ackCovered) actor.ackCovered = upTo;
  if (upTo < from) return;
  const top = Math.min(upTo, user.maxSeqKnown);
  for (let seq = from; seq <= top; seq++) {
    const st = user.seqs.get(seq);
    if (st >= 0 && l.stored.ackConfIdx.get(st) < 0) {
      l.stored.ackConfIdx.set(st, i);
      l.stored.ackReqIdx.set(st, reqIdx);
    }
  }
  // The user's watermark moves only while no seq below it is left uncovered.
  if (floor <= user.ackConfirmed) user.ackConfirmed = upTo;
}

export function onAckAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number, req: Req): void {
  const actor = conn.actor;
  const got = num(e.fields['upTo']);
  const asked = num(req.fields['upTo']);
  if (got === undefined || asked === undefined) return;
  const lower = Math.max(asked, req.cursorAtSend);
  const upper = Math.max(asked, actor.requestedMax, actor.maxSeqAtFirstHello);
  if (got < lower) {
    let id = 'ACK-4';
    let evidence = [req.idx, i];
    if (got < asked) id = 'ACK-1';
    else {
      evidence = [actor.cursorLoIdx, req.idx, i];
      const crash = s.faults.targetAction(actor.cursorLoT, e.t);
      // The lost cursor was set by a sync's ackUpTo (SYNC-3), or lost in a crash (DUR-2).
      if (actor.cursorLoBy === 'sync') id = 'SYNC-3';
      else if (crash >= 0) {
        id = 'DUR-2';
        evidence.push(crash);
      }
    }
    s.sink.add({
      kind: 'assertion',
      requirement: id,
      expected: `ack:A upTo ≥ ${lower} (requested ${asked}, cursor already ${Math.max(req.cursorAtSend, 0)})`,
      actual: `${actor.id} got ack:A upTo ${got}`,
      evidence,
    });
  } else if (got > upper) {
    const leak = actor.user.devices.find((d) => d !== actor && d.requestedMax >= got);
    s.sink.add({
      kind: 'assertion',
      requirement: leak ? 'MDEV-1' : 'ACK-1',
      expected: `ack:A upTo ≤ ${upper}: ${actor.id} never acked beyond that`,
      actual: `${actor.id} got ack:A upTo ${got}${leak ? ` (what ${leak.id} acked)` : ''}`,
      evidence: [req.idx, i],
    });
  }
  confirmCursor(s.l, actor, got, 'ack', e.t, i, req.idx);
}

/** HELLO-1: with lastSeq, pending = max(0, maxSeq − lastSeq). */
export function onHelloAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number, req: Req): void {
  const lastSeq = num(req.fields['lastSeq']);
  const maxSeq = num(e.fields['maxSeq']);
  const pending = num(e.fields['pending']);
  if (maxSeq !== undefined && maxSeq > conn.actor.user.maxSeqKnown) conn.actor.user.maxSeqKnown = maxSeq;
  if (lastSeq === undefined || maxSeq === undefined || pending === undefined) return;
  const expected = Math.max(0, maxSeq - lastSeq);
  if (pending !== expected) {
    s.sink.add({
      kind: 'assertion',
      requirement: 'HELLO-1',
      expected: `pending ${expected} (maxSeq ${maxSeq} − lastSeq ${lastSeq})`,
      actual: `${conn.actor.id} got pending ${pending}`,
      evidence: [req.idx, i],
    });
  }
}

/** A session came up: the device's starting point, cursor knowledge, and app epoch. */
export function onSession(s: Scan, actor: ActorState, conn: ConnState, e: SessionEvent, i: number): void {
  const base = e.maxSeq - e.pending;
  // A later login without lastSeq trusts the server's cursor: base is that cursor (HELLO-1), so it
  // can be checked like an ack:A. (A first login may be a new device, whose base is maxSeq.)
  if (e.lastSeq === undefined && actor.firstBase !== undefined) storedCursor(s, actor, e, i, base);
  if (actor.firstBase === undefined) {
    actor.firstBase = base;
    actor.firstSessionT = e.t;
    // A new device (no lastSeq) may have its cursor set to maxSeq at hello; one with local state
    // starts from its lastSeq (HELLO-2), which counts as requested.
    if (e.lastSeq === undefined) actor.maxSeqAtFirstHello = e.maxSeq;
    actor.firstHadState = e.lastSeq !== undefined;
  }
  if (e.lastSeq === undefined) {
    // No local state: whatever the app committed before is forgotten (a reinstall, a new device),
    // so seeing those messages again is not an app duplicate.
    actor.epoch++;
    // With pending > 0 the base is the device's stored cursor (HELLO-1).
    if (e.pending > 0 && base > actor.cursorLo) {
      actor.cursorLo = base;
      actor.cursorLoBy = 'hello';
      actor.cursorLoIdx = i;
      actor.cursorLoT = e.t;
    }
    if (base > actor.requestedMax) actor.requestedMax = base;
  }
  if (e.maxSeq > actor.user.maxSeqKnown) actor.user.maxSeqKnown = e.maxSeq;
  conn.sessionIdx = i;
  conn.sessionT = e.t;
  conn.limits = e.limits;
  if (e.limits && e.limits.repushMs > s.l.maxRepushMs) s.l.maxRepushMs = e.limits.repushMs;
  actor.sessionConn = conn;
  actor.liveSince = e.t;
}

/**
 * The stored cursor a login reveals (base = maxSeq − pending; with pending 0 only "at least
 * maxSeq"), against what this device acked (MDEV-1: one device's ack never advances another's)
 * and what was confirmed to it (ACK-4; DUR-2 when the target restarted in between).
 */
function storedCursor(s: Scan, actor: ActorState, e: SessionEvent, i: number, base: number): void {
  const upper = Math.max(actor.requestedMax, actor.maxSeqAtFirstHello, 0);
  if (base > upper) {
    const leak = actor.user.devices.find((d) => d !== actor && d.requestedMax >= base);
    s.sink.add({
      kind: 'assertion',
      requirement: leak ? 'MDEV-1' : 'ACK-1',
      expected: `${actor.id}'s stored cursor at most ${upper}, what it acked (pending ≥ ${Math.max(0, e.maxSeq - upper)})`,
      actual: `hello:A says maxSeq ${e.maxSeq}, pending ${e.pending}: cursor ${e.pending > 0 ? '' : '≥ '}${base}${leak ? ` (what ${leak.id} acked)` : ''}`,
      evidence: [actor.cursorLoIdx, i],
    });
    return;
  }
  if (e.pending > 0 && base < actor.cursorLo) {
    const crash = s.faults.targetAction(actor.cursorLoT, e.t, true);
    const requirement = actor.cursorLoBy === 'sync' ? 'SYNC-3' : crash >= 0 ? 'DUR-2' : 'ACK-4';
    s.sink.add({
      kind: 'assertion',
      requirement,
      expected: `${actor.id}'s stored cursor at least ${actor.cursorLo}, as acknowledged (pending ≤ ${e.maxSeq - actor.cursorLo})`,
      actual: `hello:A says maxSeq ${e.maxSeq}, pending ${e.pending}: cursor ${base}${crash >= 0 ? ', after a restart' : ''}`,
      evidence: [actor.cursorLoIdx, crash, i],
    });
  }
}
