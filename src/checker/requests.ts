/**
 * Requests and answers (RID-1, RID-2, FRAME-7): every R the client sent must get exactly one A
 * with its rid on the same connection before that connection closed. Answers are matched in the
 * pass; silence is judged at the end, when we know how long each connection stayed open and
 * whether a crash or an injected fault explains it.
 */

import type { FrameEvent } from '../history/events.js';
import { opOf } from '../protocol/frames.js';
import { connEnd, type Scan } from './context.js';
import { CORRUPT, DUP, LOSS, ORDER } from './fault-index.js';
import type { ConnState, Req } from './state.js';

/** A rid the server can echo: a string of 1 to 64 characters (docs/protocol.md, Identifiers). */
export function readableRid(value: unknown): string | undefined {
  return typeof value === 'string' && value.length >= 1 && value.length <= 64 ? value : undefined;
}

/** Records an outbound frame as a request. Probes (malformed on purpose) are never judged for silence. */
export function registerRequest(
  s: Scan,
  conn: ConnState,
  e: FrameEvent,
  i: number,
  probe: boolean,
): Req | undefined {
  const rid = readableRid(e.fields['rid']);
  // The server answers a frame whose rid it cannot read with rid null (FRAME-2, FRAME-3).
  if (rid === undefined || probe) conn.anonymous++;
  if (rid === undefined) return undefined;
  s.l.requests++;
  const known = conn.requests.get(rid);
  if (known) {
    // A reused rid (clients SHOULD NOT): the next answer belongs to the newest request.
    known.sent++;
    known.idx = i;
    known.t = e.t;
    known.type = e.type;
    known.fields = e.fields;
    known.probe ||= probe;
    return known;
  }
  const req: Req = {
    idx: i,
    t: e.t,
    type: e.type,
    rid,
    fields: e.fields,
    sent: 1,
    answers: 0,
    answerIdx: -1,
    cursorAtSend: -1,
    msg: undefined,
    probe,
  };
  conn.requests.set(rid, req);
  return req;
}

/**
 * Matches an inbound A frame to its request. Returns the request when this is its first answer;
 * undefined for an answer that must not be interpreted (unknown rid, second answer, rid null).
 */
export function matchAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number): Req | undefined {
  const ridValue = e.fields['rid'];
  const actor = conn.actor.id;
  if (ridValue === null && e.type === 'error:A') {
    if (conn.anonymous > 0) {
      conn.anonymous--;
      return undefined;
    }
    // A proxy that corrupted one of our frames makes the server answer rid null legitimately.
    if (s.faults.touching(actor, conn.openT, e.t, CORRUPT | DUP) >= 0) return undefined;
    s.sink.add({
      kind: 'unsolicited-answer',
      requirement: 'FRAME-7',
      expected: 'an error:A with rid null only in answer to a frame whose rid was unreadable',
      actual: `${actor} conn ${conn.n} got error:A rid null but had sent no such frame`,
      evidence: [i],
    });
    return undefined;
  }
  const rid = typeof ridValue === 'string' ? ridValue : undefined;
  const req = rid === undefined ? undefined : conn.requests.get(rid);
  if (!req) {
    if (s.faults.touching(actor, conn.openT, e.t, CORRUPT | DUP) >= 0) return undefined;
    s.sink.add({
      kind: 'unsolicited-answer',
      requirement: 'RID-2',
      expected: 'an A frame only with a rid the server received on this connection',
      actual: `${actor} conn ${conn.n} got ${e.type} with rid ${JSON.stringify(ridValue)} it never sent`,
      evidence: [i],
    });
    return undefined;
  }
  req.answers++;
  if (req.answers > req.sent) {
    if (s.faults.touching(actor, req.t, e.t, DUP) >= 0) return undefined;
    s.sink.add({
      kind: 'doubly-answered-request',
      requirement: 'RID-2',
      expected: `one answer to ${req.type ?? 'the request'} rid ${rid}`,
      actual: `${actor} conn ${conn.n} got a second answer (${e.type})`,
      evidence: [req.idx, req.answerIdx, i],
    });
    return undefined;
  }
  req.answerIdx = i;
  if (e.type !== 'error:A' && e.type !== undefined && req.type?.endsWith(':R')) {
    if (opOf(e.type) !== opOf(req.type)) {
      s.sink.add({
        kind: 'unsolicited-answer',
        requirement: 'FRAME-7',
        expected: `${opOf(req.type)}:A or error:A in answer to ${req.type} rid ${rid}`,
        actual: `${actor} conn ${conn.n} got ${e.type}`,
        evidence: [req.idx, i],
      });
      return undefined;
    }
  }
  return req;
}

/**
 * RID-1 at the end: a request with no answer counts only when its connection stayed open long
 * enough after it (grace) and neither a target crash nor an injected fault on that request's
 * frames (or the connection) explains the silence — a crash between R and A is an unknown outcome,
 * not a violation.
 */
export function judgeSilence(s: Scan): void {
  for (const actor of s.l.actors.values()) {
    for (const conn of actor.conns) {
      const end = connEnd(s, conn);
      for (const req of conn.requests.values()) {
        if (req.answers >= req.sent || req.probe) continue;
        s.l.unanswered++;
        if (end - req.t < s.graceMs) continue;
        if (s.faults.targetAction(req.t, end) >= 0) continue;
        // A stall anywhere in the connection, or a fault on this request's own frames.
        const fault = s.faults.touching(
          actor.id,
          conn.openT,
          end,
          LOSS | ORDER | CORRUPT,
          (f) => f.type === undefined || (f.rid === req.rid && f.t >= req.t),
        );
        if (fault >= 0) continue;
        s.sink.add({
          kind: 'unanswered-request',
          requirement: 'RID-1',
          expected: `one A with rid ${req.rid} in answer to ${req.type ?? 'the request'}`,
          actual: `${actor.id} conn ${conn.n} got no answer in ${Math.round(end - req.t)} ms (${conn.open ? 'connection open at the end' : 'until the connection closed'})`,
          evidence: conn.closeIdx >= 0 ? [req.idx, conn.closeIdx] : [req.idx],
          cmid: req.msg?.cmid,
        });
      }
    }
  }
}
