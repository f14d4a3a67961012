/**
 * REPUSH-1 at the end: a push the device's acks never covered — as the server saw them — must be
 * pushed again on that connection while it lasts. The device committed it, but its ack:R was lost
 * on the way (or never sent): the server cannot know, and only a re-push (which the device
 * recognises and acks again) lets the sender get its delivered receipt.
 *
 * The rule blames the server only for what the history proves it knew. An ack counts as having
 * reached the server unless it is proven lost: the proxy dropped that very request frame (an
 * ack:R or sync:R with its rid) as often as the device sent it, and no answer to it exists — an
 * ack:A or sync:A of that rid that arrived, or that the proxy dropped on its way back, is the
 * server's own word that it got the ack (the answer shares the request's rid, so a dropped answer
 * must never be read as a dropped ack). An ack the kit merely meant to send, or sent into a
 * closing socket, is not proof of anything: it counts as arrived, so the rule stays silent.
 * A connection that ended, a case that ended, a target crash or pause, a stall before the re-push
 * was due, and a re-push the proxy itself dropped all excuse the silence too. Its own pass over
 * the frame events, linear in the history.
 */

import type { FrameEvent } from '../history/events.js';
import { connEnd, type Scan } from './context.js';
import { LOSS } from './fault-index.js';
import { actorOf, type ConnState } from './state.js';

interface Push {
  idx: number;
  t: number;
  seq: number;
  smid: string;
  repushed: boolean;
}

interface Ack {
  t: number;
  rid: string;
  upTo: number;
  type: 'ack:R' | 'sync:R';
}

/** The answer that shares an ack's rid: proof the server got it. */
const ANSWER = { 'ack:R': 'ack:A', 'sync:R': 'sync:A' } as const;

interface ConnPushes {
  conn: ConnState;
  actor: string;
  pushes: Map<string, Push>;
  acks: Ack[];
  /** Rids of ack:A / sync:A frames that arrived on this connection. */
  answered: Set<string>;
}

export function judgeRepush(s: Scan): void {
  if (!s.caps.has('server-repush')) return;
  const log = s.l.log;
  const byConn = new Map<string, ConnPushes>();
  const connOf = (e: FrameEvent): ConnPushes | undefined => {
    const key = `${e.actor}#${e.conn}`;
    let c = byConn.get(key);
    if (!c) {
      const conn = actorOf(s.l, e.actor).connByN.get(e.conn);
      if (!conn) return undefined;
      c = { conn, actor: e.actor, pushes: new Map(), acks: [], answered: new Set() };
      byConn.set(key, c);
    }
    return c;
  };
  const end = Math.min(log.count, s.teardownFrom);
  for (let i = 0; i < end; i++) {
    const e = log.at(i);
    if (e.kind !== 'frame') continue;
    if (e.dir === 'in' && e.type === 'msg:N') {
      const smid = e.fields['smid'];
      const seq = e.fields['seq'];
      if (typeof smid !== 'string' || typeof seq !== 'number') continue;
      const c = connOf(e);
      if (!c) continue;
      const push = c.pushes.get(smid);
      if (push) push.repushed = true;
      else c.pushes.set(smid, { idx: i, t: e.t, seq, smid, repushed: false });
    } else if (e.dir === 'out' && (e.type === 'ack:R' || e.type === 'sync:R')) {
      const upTo = e.type === 'ack:R' ? e.fields['upTo'] : e.fields['ackUpTo'];
      const rid = e.fields['rid'];
      if (typeof upTo !== 'number' || typeof rid !== 'string') continue;
      connOf(e)?.acks.push({ t: e.t, rid, upTo, type: e.type });
    } else if (e.dir === 'in' && (e.type === 'ack:A' || e.type === 'sync:A')) {
      const rid = e.fields['rid'];
      if (typeof rid === 'string') connOf(e)?.answered.add(rid);
    }
  }
  for (const c of byConn.values()) judgeConn(s, c);
}

function judgeConn(s: Scan, c: ConnPushes): void {
  const repushMs = c.conn.limits?.repushMs;
  if (repushMs === undefined) return;
  const end = connEnd(s, c.conn);
  // The highest seq an ack that may have reached the server covers: lost ones are proven lost.
  const sends = new Map<string, number>();
  for (const ack of c.acks) sends.set(ack.rid, (sends.get(ack.rid) ?? 0) + 1);
  let acked = 0;
  for (const ack of c.acks) {
    if (ack.upTo > acked && !provenLost(s, c, ack, sends.get(ack.rid)!, end)) acked = ack.upTo;
  }
  for (const push of c.pushes.values()) {
    if (push.repushed || push.seq <= acked) continue;
    // The grace is at least two re-push intervals (check.ts): time for the first re-push to come.
    if (end - push.t < Math.max(s.graceMs, repushMs)) continue;
    if (s.faults.targetAction(push.t, end) >= 0) continue;
    // A stall of the connection, or the proxy dropping the re-push itself.
    const swallowed = s.faults.touching(
      c.actor,
      push.t,
      end,
      LOSS,
      (f) => f.type === undefined || (f.type === 'msg:N' && f.smid === push.smid),
    );
    if (swallowed >= 0) continue;
    s.sink.add({
      kind: 'missing-repush',
      requirement: 'REPUSH-1',
      expected: `msg:N smid ${push.smid} (seq ${push.seq}) pushed again within limits.repushMs (${repushMs} ms): no ack of ${c.actor} covering it reached the server`,
      actual: `${c.actor} conn ${c.conn.n} got no re-push in ${Math.round(end - push.t)} ms (highest ack that may have arrived: ${acked})`,
      evidence: [push.idx],
      smid: push.smid,
    });
  }
}

/**
 * The ack never reached the server, by the history's own record: every transmission of its rid
 * on this connection was dropped by the proxy as that request, and the server never answered it.
 */
function provenLost(s: Scan, c: ConnPushes, ack: Ack, sent: number, end: number): boolean {
  if (c.answered.has(ack.rid)) return false;
  const answer = ANSWER[ack.type];
  const from = c.conn.openT;
  const answerDropped = s.faults.touching(
    c.actor,
    from,
    end,
    LOSS,
    (f) => f.rid === ack.rid && f.type === answer,
  );
  if (answerDropped >= 0) return false;
  const dropped = s.faults.howMany(c.actor, from, end, LOSS, (f) => f.rid === ack.rid && f.type === ack.type);
  return dropped >= sent;
}
