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
 * was due, and a re-push the proxy itself dropped all excuse the silence too. Its own passes over
 * the frame events — the acks first, then only the pushes above what they cover — linear in the
 * history.
 */

import type { FrameEvent, HistoryEvent } from '../history/events.js';
import { connEnd, type Scan } from './context.js';
import { LOSS } from './fault-index.js';
import { ackUpToOf } from './field-values.js';
import { actorOf, type ConnState } from './state.js';

/** The upTo an ack:R / sync:R kept below carries (kept only when it was a number). */
function upToOf(e: FrameEvent): number {
  return ackUpToOf(e.type, e.fields)!;
}

/** The answer that shares an ack's rid: proof the server got it. */
const ANSWER = { 'ack:R': 'ack:A', 'sync:R': 'sync:A' } as const;
type AckType = keyof typeof ANSWER;

/**
 * One connection's acks, and its pushes that no answered ack covers yet, as event indexes read
 * back when judged. Measured on a clean million-message run, a map entry per push and a set entry
 * per answered rid, filled by a pass of their own at the end, were a third of check()'s time
 * (each a cache miss in a table of a million, and the pass touching every event again): now the
 * pass takes each event as it comes, an answered ack drops the pushes it covers, and what is left
 * at the end — on a healthy run, nothing — is what the rule has to look at.
 */
interface ConnPushes {
  conn: ConnState;
  actor: string;
  /** The largest upTo of the acks whose rid was answered so far. */
  answeredUpTo: number;
  /**
   * Acks whose rid has no answer (yet): rid → their indexes. Drained as answers come. The usual
   * one ack in flight sits in `slotRid`/`slotIdx` instead (a rid is in one place or the other):
   * a map entry made and deleted per ack was measured as a large share of the pass's garbage.
   */
  open: Map<string, number | number[]>;
  slotRid: string | undefined;
  slotIdx: number;
  /** Rids answered when no ack of that rid was open (an answer before its request, a second one). */
  loose: Set<string> | undefined;
  /**
   * Pushes (index, seq pairs, from `head` to `tail`) above `answeredUpTo` when they came, oldest
   * first. The array keeps its store when drained (emptying it would free the store, and the next
   * push allocate one again: garbage per message).
   */
  pending: number[];
  head: number;
  tail: number;
  /** The connection knows its re-push interval: the rule can judge it. */
  judged: boolean;
  /** What the acks that may have reached the server cover (at the end). */
  acked: number;
  /** smid → its first msg:N above `acked`; its ones' complement once the smid came again. */
  pushes: Map<string, number> | undefined;
}

/** The rule's pass state, on the Scan (Scan.repush). */
export interface RepushState {
  readonly byConn: Map<ConnState, ConnPushes>;
  /** Frames of one connection come in runs: the last one looked up answers most lookups. */
  last: ConnPushes | undefined;
  /** The events seen are all the run's (false once a streaming ledger forgot some: the end re-reads what it holds). */
  whole: boolean;
}

/** An answered ack's upTo: drops the pushes it covers (a NaN never raises it). */
function raise(c: ConnPushes, upTo: number): void {
  if (!(upTo > c.answeredUpTo)) return;
  c.answeredUpTo = upTo;
  const p = c.pending;
  let h = c.head;
  while (h < c.tail && p[h + 1]! <= upTo) h += 2;
  if (h === c.tail) {
    h = 0;
    c.tail = 0;
  } else if (h > 1024 && h * 2 > c.tail) {
    p.copyWithin(0, h, c.tail);
    c.tail -= h;
    h = 0;
  }
  c.head = h;
}

function connOf(s: Scan, st: RepushState, e: FrameEvent, add: boolean): ConnPushes | undefined {
  const last = st.last;
  if (last !== undefined && last.actor === e.actor && last.conn.n === e.conn) return last;
  const conn = actorOf(s.l, e.actor).conn(e.conn);
  if (!conn) return undefined;
  let c = st.byConn.get(conn);
  if (!c) {
    if (!add) return undefined;
    c = {
      conn,
      actor: e.actor,
      answeredUpTo: 0,
      open: new Map(),
      slotRid: undefined,
      slotIdx: -1,
      loose: undefined,
      pending: [],
      head: 0,
      tail: 0,
      judged: false,
      acked: 0,
      pushes: undefined,
    };
    st.byConn.set(conn, c);
  }
  st.last = c;
  return c;
}

/** A msg:N with a string smid and a numeric seq (what the rule can judge), else undefined. */
function pushSmid(e: FrameEvent): string | undefined {
  if (e.dir !== 'in' || e.type !== 'msg:N') return undefined;
  const smid = e.fields['smid'];
  return typeof smid === 'string' && typeof e.fields['seq'] === 'number' ? smid : undefined;
}

/** One frame into the pass: acks, answers, and pushes not covered yet. */
function take(s: Scan, st: RepushState, e: FrameEvent, i: number): void {
  const type = e.type;
  if (e.dir === 'in') {
    if (type === 'ack:A' || type === 'sync:A') {
      const rid = e.fields['rid'];
      if (typeof rid !== 'string') return;
      const c = connOf(s, st, e, true);
      if (!c) return;
      if (c.slotRid === rid) {
        c.slotRid = undefined;
        raise(c, upToOf(s.l.log.at(c.slotIdx) as FrameEvent));
        return;
      }
      const acks = c.open.get(rid);
      if (acks === undefined) {
        c.loose ??= new Set();
        c.loose.add(rid);
      } else {
        c.open.delete(rid);
        if (typeof acks === 'number') raise(c, upToOf(s.l.log.at(acks) as FrameEvent));
        else for (const idx of acks) raise(c, upToOf(s.l.log.at(idx) as FrameEvent));
      }
    } else if (type === 'msg:N' && pushSmid(e) !== undefined) {
      const c = connOf(s, st, e, true);
      const seq = e.fields['seq'] as number;
      if (c && !(seq <= c.answeredUpTo)) {
        c.pending[c.tail++] = i;
        c.pending[c.tail++] = seq;
      }
    }
  } else if (type === 'ack:R' || type === 'sync:R') {
    const rid = e.fields['rid'];
    const upTo = ackUpToOf(type, e.fields);
    if (upTo === undefined || typeof rid !== 'string') return;
    const c = connOf(s, st, e, true);
    if (!c) return;
    if (c.loose?.has(rid)) raise(c, upTo);
    else if (c.slotRid === undefined && c.open.size === 0) {
      c.slotRid = rid;
      c.slotIdx = i;
    } else {
      foldSlot(c);
      const acks = c.open.get(rid);
      // One ack per rid is the rule: a number, an array only for a rid sent again.
      if (acks === undefined) c.open.set(rid, i);
      else if (typeof acks === 'number') c.open.set(rid, [acks, i]);
      else acks.push(i);
    }
  }
}

/** Moves the slot's ack into `open` (before anything reads `open` as the whole). */
function foldSlot(c: ConnPushes): void {
  if (c.slotRid === undefined) return;
  const rid = c.slotRid;
  c.slotRid = undefined;
  const acks = c.open.get(rid);
  if (acks === undefined) c.open.set(rid, c.slotIdx);
  else if (typeof acks === 'number') c.open.set(rid, [acks, c.slotIdx]);
  else acks.push(c.slotIdx);
}

/** The ack indexes of one rid (a lone index is kept as a number: no array per ack). */
function each(acks: number | number[]): readonly number[] {
  return typeof acks === 'number' ? [acks] : acks;
}

function newState(): RepushState {
  return { byConn: new Map(), last: undefined, whole: true };
}

/** The rule's `event`: every event of the case, before its teardown, as it comes. */
export function trackRepush(s: Scan, e: HistoryEvent, i: number): void {
  if (e.kind !== 'frame' || i >= s.teardownFrom) return;
  let st = s.repush;
  if (st === undefined) {
    if (!s.caps.has('server-repush')) return;
    st = newState();
    s.repush = st;
  }
  if (!st.whole) return;
  if (s.l.log.floor > 0) {
    // A streaming ledger forgot events: the end reads back what it still holds, as it always did.
    st.whole = false;
    st.byConn.clear();
    st.last = undefined;
    return;
  }
  take(s, st, e, i);
}

/** Walks the frames up to the case's end. */
function eachFrame(s: Scan, visit: (e: FrameEvent, i: number) => void): void {
  const log = s.l.log;
  const end = Math.min(log.count, s.teardownFrom);
  for (let i = log.floor; i < end; i++) {
    const e = log.at(i);
    if (e.kind === 'frame') visit(e, i);
  }
}

export function judgeRepush(s: Scan): void {
  if (!s.caps.has('server-repush')) return;
  let st = s.repush;
  // A streaming ledger that forgot events (even after the last one came) re-reads what it holds.
  if (st === undefined || !st.whole || s.l.log.floor > 0) {
    const fresh = newState();
    eachFrame(s, (e, i) => take(s, fresh, e, i));
    st = fresh;
  }
  s.repush = undefined;
  const judged = [...st.byConn.values()].filter((c) => c.conn.limits?.repushMs !== undefined);
  for (const c of judged) {
    c.judged = true;
    foldSlot(c);
  }
  ackedOf(s, judged);
  // Only a push above what the acks cover can draw a finding; on a healthy run none is left.
  const above = judged.some((c) => {
    for (let k = c.head; k < c.tail; k += 2) if (!(c.pending[k + 1]! <= c.acked)) return true;
    return false;
  });
  if (!above) return;
  // The pushes above what the acks cover, then every other push of those smids (a re-push, at
  // whatever seq): read from the frames, so the first push of each smid decides, as always.
  const frames = st;
  frames.last = undefined;
  eachFrame(s, (e, i) => {
    const smid = pushSmid(e);
    if (smid === undefined) return;
    const c = connOf(s, frames, e, false);
    if (!c?.judged || (e.fields['seq'] as number) <= c.acked) return;
    c.pushes ??= new Map();
    const first = c.pushes.get(smid);
    if (first === undefined) c.pushes.set(smid, i);
    else if (first >= 0) c.pushes.set(smid, ~first);
  });
  eachFrame(s, (e) => {
    const smid = pushSmid(e);
    if (smid === undefined) return;
    const c = connOf(s, frames, e, false);
    if (!c?.pushes || (e.fields['seq'] as number) > c.acked) return;
    const first = c.pushes.get(smid);
    if (first !== undefined && first >= 0) c.pushes.set(smid, ~first);
  });
  for (const c of judged) judgeConn(s, c);
}

/**
 * What each connection's acks that may have reached the server cover: the largest upTo of the
 * acks not proven lost. Answered ones are not lost; the rest (rare: acks in flight at the end, or
 * dropped) are settled exactly with one more pass over their rids.
 */
function ackedOf(s: Scan, conns: readonly ConnPushes[]): void {
  const log = s.l.log;
  const rest = new Map<ConnState, { c: ConnPushes; answered: Set<string>; sends: Map<string, number> }>();
  for (const c of conns) {
    c.acked = c.answeredUpTo;
    let any = false;
    for (const acks of c.open.values()) {
      for (const idx of each(acks)) if (upToOf(log.at(idx) as FrameEvent) > c.acked) any = true;
    }
    if (any) rest.set(c.conn, { c, answered: new Set(), sends: new Map() });
  }
  if (rest.size === 0) return;
  // Open acks may still have been answered earlier under a reused rid, and every copy of a rid
  // counts when judging it dropped: read both from the frames.
  eachFrame(s, (e) => {
    const rid = e.fields['rid'];
    if (typeof rid !== 'string') return;
    const conn = actorOf(s.l, e.actor).conn(e.conn);
    const r = conn === undefined ? undefined : rest.get(conn);
    if (!r?.c.open.has(rid)) return;
    if (e.dir === 'in' && (e.type === 'ack:A' || e.type === 'sync:A')) r.answered.add(rid);
    else if (e.dir === 'out' && (e.type === 'ack:R' || e.type === 'sync:R') && typeof upToOf(e) === 'number')
      r.sends.set(rid, (r.sends.get(rid) ?? 0) + 1);
  });
  for (const { c, answered, sends } of rest.values()) {
    const end = connEnd(s, c.conn);
    for (const [rid, acks] of c.open) {
      for (const idx of each(acks)) {
        const e = log.at(idx) as FrameEvent;
        const upTo = upToOf(e);
        if (upTo <= c.acked) continue;
        if (answered.has(rid) || !provenLost(s, c, rid, e.type as AckType, sends.get(rid) ?? 0, end))
          c.acked = upTo;
      }
    }
  }
}

function judgeConn(s: Scan, c: ConnPushes): void {
  const repushMs = c.conn.limits!.repushMs;
  if (!c.pushes) return;
  const log = s.l.log;
  const end = connEnd(s, c.conn);
  const acked = c.acked;
  for (const [smid, idx] of c.pushes) {
    if (idx < 0) continue; // pushed again
    const e = log.at(idx) as FrameEvent;
    const seq = e.fields['seq'] as number;
    const t = e.t;
    // The grace is at least two re-push intervals (check.ts): time for the first re-push to come.
    if (end - t < Math.max(s.graceMs, repushMs)) continue;
    if (s.faults.targetAction(t, end) >= 0) continue;
    // A stall of the connection, or the proxy dropping the re-push itself.
    const swallowed = s.faults.touching(
      c.actor,
      t,
      end,
      LOSS,
      (f) => f.type === undefined || (f.type === 'msg:N' && f.smid === smid),
    );
    if (swallowed >= 0) continue;
    s.sink.add({
      kind: 'missing-repush',
      requirement: 'REPUSH-1',
      expected: `msg:N smid ${smid} (seq ${seq}) pushed again within limits.repushMs (${repushMs} ms): no ack of ${c.actor} covering it reached the server`,
      actual: `${c.actor} conn ${c.conn.n} got no re-push in ${Math.round(end - t)} ms (highest ack that may have arrived: ${acked})`,
      evidence: [idx],
      smid,
    });
  }
}

/**
 * The ack never reached the server, by the history's own record: every transmission of its rid
 * on this connection was dropped by the proxy as that request, and the server never answered it.
 */
function provenLost(s: Scan, c: ConnPushes, rid: string, type: AckType, sent: number, end: number): boolean {
  const answer = ANSWER[type];
  const from = c.conn.openT;
  const answerDropped = s.faults.touching(
    c.actor,
    from,
    end,
    LOSS,
    (f) => f.rid === rid && f.type === answer,
  );
  if (answerDropped >= 0) return false;
  const dropped = s.faults.howMany(c.actor, from, end, LOSS, (f) => f.rid === rid && f.type === type);
  return dropped >= sent;
}
