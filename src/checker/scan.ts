/**
 * The pass: every history event is dispatched once, as it comes, by kind and then by frame type,
 * to the handler that updates the ledger. Cost per event is a few map lookups (actor, rid, smid, seq),
 * so the checker stays linear in the history.
 */

import type { CloseEvent, FrameEvent, HistoryEvent, SessionEvent } from '../history/events.js';
import type { Scan } from './context.js';
import { onAckAnswer, onAckRequest, onHelloAnswer, onSession } from './cursors.js';
import { CORRUPT } from './fault-index.js';
import {
  onCommit,
  onGiveUp,
  onMsgAnswer,
  onMsgError,
  onMsgRequest,
  onPush,
  onReceipt,
  onRetransmit,
  onSend,
} from './messages.js';
import { onSyncAnswer } from './pages.js';
import { matchAnswer, registerRequest } from './requests.js';
import { isSchemaViolation } from './schema-violation.js';
import { type ActorState, actorOf, ConnState } from './state.js';

/**
 * The connection `e` is on. Takes the event, not its time: a time is read only for a new
 * connection. Why: `t` is a double, kept in a box of its own apart from the event, and an
 * argument is read before the call, so passing `e.t` cost a cache miss on every frame (~40% of
 * onFrame's own time on the bench, `perf annotate`) for a value almost never used.
 */
function connOf(actor: ActorState, e: FrameEvent | CloseEvent | SessionEvent, i: number): ConnState {
  const n = e.conn;
  const last = actor.lastConn;
  if (last !== undefined && last.n === n) return last;
  let conn = actor.conn(n);
  if (!conn) {
    conn = new ConnState(n, actor, e.t, i);
    actor.addConn(conn);
  }
  actor.lastConn = conn;
  return conn;
}

function countConnected(conn: ConnState): void {
  if (conn.counted || !conn.open) return;
  conn.counted = true;
  conn.actor.user.connected++;
}

/** One event, index `i`, into the ledger: the pass the case checker and the streaming ledger share. */
export function dispatch(s: Scan, e: HistoryEvent, i: number): void {
  switch (e.kind) {
    case 'frame':
      onFrame(s, e, i);
      break;
    case 'send':
      onSend(s, actorOf(s.l, e.actor), e, i);
      break;
    case 'commit':
      onCommit(s, actorOf(s.l, e.actor), e, i);
      break;
    case 'retransmit':
      onRetransmit(s, i);
      break;
    case 'give-up':
      onGiveUp(s, actorOf(s.l, e.actor), e, i);
      break;
    case 'session': {
      const actor = actorOf(s.l, e.actor);
      const conn = connOf(actor, e, i);
      countConnected(conn);
      onSession(s, actor, conn, e, i);
      break;
    }
    case 'close':
      onClose(s, e, i);
      break;
    case 'misbehave':
      // A reinstall: the app forgot its store, so it may commit those messages again.
      if (e.what === 'lose-state') actorOf(s.l, e.actor).epoch++;
      break;
    case 'target':
      s.faults.addTarget(e, i);
      break;
    case 'fault':
      s.faults.addFault(e, i);
      break;
    case 'assert':
      if (!e.ok) {
        s.sink.add({
          kind: 'assertion',
          requirement: e.requirement,
          expected: e.expected,
          actual: e.actor ? `${e.actor}: ${e.actual}` : e.actual,
          evidence: [i],
        });
      }
      break;
    default:
      // gap, dedup, receipt, step: the bots' own view; the frames above are the evidence.
      break;
  }
}

function onClose(s: Scan, e: CloseEvent, i: number): void {
  const actor = actorOf(s.l, e.actor);
  const conn = connOf(actor, e, i);
  // The runner closes every bot after the case: those connections were up at the end.
  if (e.initiator === 'client' && (i >= s.teardownFrom || e.t >= s.endT)) return;
  if (!conn.open) return;
  conn.closeT = e.t;
  conn.closeIdx = i;
  if (e.initiator === 'server') conn.serverCloseCode = e.code;
  if (conn.counted) {
    const user = actor.user;
    if (--user.connected === 0) user.zeroSince = e.t;
  }
}

function onFrame(s: Scan, e: FrameEvent, i: number): void {
  const actor = actorOf(s.l, e.actor);
  const conn = connOf(actor, e, i);
  if (e.dir === 'out') {
    const probe = e.invalid !== undefined;
    const req = registerRequest(s, conn, e, i, probe);
    if (probe) return;
    switch (e.type) {
      case 'msg:R':
        onMsgRequest(s, actor, e, i, req);
        break;
      case 'ack:R':
        onAckRequest(actor, req, e.fields['upTo']);
        break;
      case 'sync:R':
        if (e.fields['ackUpTo'] !== undefined) onAckRequest(actor, req, e.fields['ackUpTo']);
        break;
      case 'hello:R':
        countConnected(conn);
        // HELLO-2: a lastSeq is the client saying it committed that far — an ack.
        if (e.fields['lastSeq'] !== undefined) onAckRequest(actor, undefined, e.fields['lastSeq']);
        break;
    }
    return;
  }
  // An invalid frame is a FRAME-4 violation, and still what the server said: a receipt with an
  // extra member was sent all the same, so it is read like any other (every handler checks the
  // type of each member it uses). Only an undecodable frame (no type) ends here.
  if (isSchemaViolation(e)) onInvalid(s, conn, e, i);
  const type = e.type;
  if (type === undefined) return;
  if (type === 'msg:N') {
    onPush(s, conn, e, i);
    return;
  }
  if (type === 'ack:N') {
    onReceipt(s, conn, e, i);
    return;
  }
  if (type.endsWith(':R')) {
    s.sink.add({
      kind: 'unsolicited-answer',
      requirement: 'FRAME-7',
      expected: 'the server sends only A and N frames',
      actual: `${actor.id} conn ${conn.n} got ${type}`,
      evidence: [i],
    });
    return;
  }
  const req = matchAnswer(s, conn, e, i);
  if (!req) return;
  switch (type) {
    case 'msg:A':
      onMsgAnswer(s, conn, e, i, req);
      break;
    case 'ack:A':
      onAckAnswer(s, conn, e, i, req);
      break;
    case 'sync:A':
      onSyncAnswer(s, conn, e, i, req);
      break;
    case 'hello:A':
      onHelloAnswer(s, conn, e, i, req);
      break;
    case 'error:A':
      if (req.type === 'msg:R') onMsgError(s, req.msg, i);
      break;
  }
}

/** FRAME-4: every frame the server sends validates. */
function onInvalid(s: Scan, conn: ConnState, e: FrameEvent, i: number): void {
  s.l.schemaViolations++;
  // A proxy's `corrupt` on a frame to this client explains it.
  if (s.faults.touching(conn.actor.id, conn.openT, e.t, CORRUPT) < 0) {
    s.sink.add({
      kind: 'schema-violation',
      requirement: 'FRAME-4',
      expected: 'every frame the server sends validates against schemas/frame.schema.json',
      actual: `${conn.actor.id} got ${e.type ?? 'an undecodable frame'}: ${e.invalid}`,
      evidence: [i],
    });
  }
}
