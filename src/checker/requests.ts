/**
 * Requests and answers (RID-1, RID-2, FRAME-7): every R the client sent must get exactly one A
 * with its rid on the same connection before that connection closed. Answers are matched in the
 * pass; silence is judged at the end, when we know how long each connection stayed open and
 * whether a crash or an injected fault explains it.
 */

import type { FrameEvent } from '../history/events.js';
import { CloseCode, opOf } from '../protocol/frames.js';
import { connEnd, type Scan } from './context.js';
import { CORRUPT, DUP, END, LOSS, ORDER } from './fault-index.js';
import { msgCmid } from './msg-reads.js';
import type { ActorState, ConnState, Req } from './state.js';

/** Whether two frame types share their op ("msg:A", "msg:R"), without allocating. */
function sameOp(a: string, b: string): boolean {
  const colon = a.indexOf(':');
  if (colon < 0 || colon !== b.indexOf(':')) return false;
  for (let k = 0; k < colon; k++) if (a.charCodeAt(k) !== b.charCodeAt(k)) return false;
  return true;
}

/** A rid the server can echo: a string of 1 to 64 characters (docs/protocol.md, Identifiers). */
export function readableRid(value: unknown): string | undefined {
  return typeof value === 'string' && value.length >= 1 && value.length <= 64 ? value : undefined;
}

/** Settled rids remembered per connection to recognise a late second answer. */
const SETTLED_RING = 64;
/** A request this far behind the newest one leaves the queue for the stale list. */
const MAX_QUEUE_LAG = 256;

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
  const req = newReq(s.l.spareReqs, e, i, rid, probe);
  enqueue(conn, req);
  conn.byRid?.set(rid, req);
  if (conn.tail - conn.head > MAX_QUEUE_LAG) {
    // The head has waited for its answer while hundreds of later requests went out: move it
    // aside (still findable by rid) so in-order matching keeps working for the rest.
    const old = conn.queue[conn.head]!;
    indexInFlight(conn);
    conn.stale ??= [];
    conn.stale.push(old);
    conn.queue[conn.head++] = undefined;
    advance(conn, s.l.spareReqs);
  }
  return req;
}

/**
 * A request record, reusing one the queue has let go of when there is one: two a message on a
 * healthy run, and measured as the largest share of check()'s garbage (each with a boxed time).
 */
function newReq(spare: Req[], e: FrameEvent, i: number, rid: string, probe: boolean): Req {
  const req = spare.pop();
  if (req === undefined) {
    return {
      idx: i,
      t: e.t,
      type: e.type,
      rid,
      fields: e.fields,
      answerIdx: -1,
      cursorAtSend: -1,
      msg: -1,
      probe,
    };
  }
  req.idx = i;
  req.t = e.t;
  req.type = e.type;
  req.rid = rid;
  req.fields = e.fields;
  req.answerIdx = -1;
  req.cursorAtSend = -1;
  req.msg = -1;
  req.probe = probe;
  return req;
}

/**
 * Appends to the queue. Slots are reused — the array is never replaced or shortened, because a
 * fresh array per drained queue (on a healthy run: per request) was measured as a large share of
 * the checker's garbage. The first request makes a one-slot array (push on an empty one reserves
 * 17 slots, 152 B): an idle connection's queue held its hello:R alone all along.
 */
function enqueue(conn: ConnState, req: Req): void {
  const q = conn.queue;
  if (q.length === 0) {
    conn.queue = [req];
    conn.tail = 1;
    return;
  }
  if (conn.tail === q.length) {
    if (conn.head > 0 && conn.head >= q.length / 2) {
      // Slide the live part down instead of growing.
      let k = 0;
      for (let j = conn.head; j < conn.tail; j++) q[k++] = q[j];
      for (let j = k; j < conn.tail; j++) q[j] = undefined;
      conn.tail = k;
      conn.head = 0;
    } else {
      q.push(undefined);
    }
  }
  q[conn.tail++] = req;
}

/** Builds the rid index of everything in flight (once an answer came out of order). */
function indexInFlight(conn: ConnState): Map<string, Req> {
  if (conn.byRid) return conn.byRid;
  const byRid = new Map<string, Req>();
  for (let k = conn.head; k < conn.tail; k++) {
    const r = conn.queue[k];
    if (r !== undefined && r.answerIdx < 0) byRid.set(r.rid, r);
  }
  if (conn.stale) for (const r of conn.stale) if (r.answerIdx < 0) byRid.set(r.rid, r);
  conn.byRid = byRid;
  return byRid;
}

/**
 * Moves the head past settled requests (clearing their slots); a drained queue starts over. A
 * settled request that leaves the queue is referenced nowhere else (its answer's handlers read it
 * before the next event; the stale list never passes through here), so it becomes a spare.
 */
function advance(conn: ConnState, spare: Req[]): void {
  const q = conn.queue;
  while (conn.head < conn.tail && q[conn.head]!.answerIdx >= 0) {
    spare.push(q[conn.head]!);
    q[conn.head++] = undefined;
  }
  if (conn.head === conn.tail) {
    conn.head = 0;
    conn.tail = 0;
    if (conn.stale === undefined || conn.stale.length === 0) conn.byRid = undefined;
  }
}

function settle(conn: ConnState, req: Req, i: number, spare: Req[]): void {
  req.answerIdx = i;
  conn.byRid?.delete(req.rid);
  const pos = 2 * (conn.settledPos++ % SETTLED_RING);
  if (pos === 0 && conn.settled.length === 0) {
    // An array literal holds just its two entries; writes at 0 and 1 of an empty one reserve 17.
    conn.settled = [req.rid, i];
  } else {
    conn.settled[pos] = req.rid;
    conn.settled[pos + 1] = i;
  }
  advance(conn, spare);
}

/** The answer that settled `rid` recently, or -1. */
function settledAnswer(conn: ConnState, rid: string): number {
  const ring = conn.settled;
  for (let k = 0; k < ring.length; k += 2) if (ring[k] === rid) return ring[k + 1] as number;
  return -1;
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
  let req: Req | undefined;
  if (rid !== undefined) {
    const head = conn.head < conn.tail ? conn.queue[conn.head] : undefined;
    req = head !== undefined && head.rid === rid ? head : indexInFlight(conn).get(rid);
  }
  if (req === undefined) {
    const first = rid === undefined ? -1 : settledAnswer(conn, rid);
    if (s.faults.touching(actor, conn.openT, e.t, CORRUPT | DUP) >= 0) return undefined;
    if (first >= 0) {
      s.sink.add({
        kind: 'doubly-answered-request',
        requirement: 'RID-2',
        expected: `one answer to rid ${rid}`,
        actual: `${actor} conn ${conn.n} got a second answer (${e.type})`,
        evidence: [first, i],
      });
    } else {
      s.sink.add({
        kind: 'unsolicited-answer',
        requirement: 'RID-2',
        expected: 'an A frame only with a rid the server received on this connection and has not answered',
        actual: `${actor} conn ${conn.n} got ${e.type} with rid ${JSON.stringify(ridValue)}, not in flight`,
        evidence: [i],
      });
    }
    return undefined;
  }
  settle(conn, req, i, s.l.spareReqs);
  if (e.type !== 'error:A' && e.type !== undefined && req.type?.endsWith(':R')) {
    if (!sameOp(e.type, req.type)) {
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

/** A connection's requests still in flight: the stale ones, then the queue from its head. */
export function unansweredSoFar(conn: ConnState): (Req | undefined)[] {
  return [...(conn.stale ?? []), ...conn.queue.slice(conn.head, conn.tail)];
}

/**
 * The close codes RAN/1 gives the server (docs/protocol.md, Close codes): each ends a connection
 * for a reason of the server's own — shutdown, idleness, a newer session, a message it refuses —
 * that a request may cross on the wire, so the request's silence is judged with the grace.
 */
const PROTOCOL_CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(CloseCode));

/**
 * Whether the server ended `conn` with a WebSocket close code (RFC 6455: 1000 to 4999) that RAN/1
 * does not give it: it closed instead of answering, and an answer it had sent would have come
 * before its close frame, so a request still in flight went unanswered for good — no grace to
 * wait. Other drivers' closes (MQTT reason codes below 1000, XMPP and dropped sockets with none)
 * are no WebSocket close codes and keep the grace.
 */
function closedInsteadOfAnswering(actor: ActorState, conn: ConnState): boolean {
  const code = conn.serverCloseCode;
  if (code === CloseCode.replaced) return !replaced(actor, conn);
  return code !== undefined && code >= 1000 && code <= 4999 && !PROTOCOL_CLOSE_CODES.has(code);
}

/**
 * Whether a newer connection of the same user and device opened before `conn` closed: what close
 * code 4409 claims (AUTH-6). Without one the code is misused — the server closed instead of
 * answering as with a code RAN/1 does not give it (a server closing every sync:R with 4409
 * passed as "may have crossed the request" and left the case ERROR).
 */
function replaced(actor: ActorState, conn: ConnState): boolean {
  return actor.conns.some((c) => c !== conn && c.openT > conn.openT && c.openT <= conn.closeT);
}

/**
 * RID-1 at the end: a request with no answer counts only when its connection stayed open long
 * enough after it (grace), or the server closed it with a code RAN/1 does not give it
 * (closedInsteadOfAnswering), and neither a target crash nor an injected fault on that request's
 * frames (or one that ended the connection) explains the silence — a crash between R and A is an
 * unknown outcome, not a violation.
 */
export function judgeSilence(s: Scan): void {
  for (const actor of s.l.actors.values()) {
    for (const conn of actor.conns) {
      const end = connEnd(s, conn);
      const refused = closedInsteadOfAnswering(actor, conn);
      const pending = unansweredSoFar(conn);
      for (const req of pending) {
        if (req === undefined || req.answerIdx >= 0 || req.probe) continue;
        s.l.unanswered++;
        const t = req.t;
        // A request recorded after the close never reached the server.
        if (end - t < s.graceMs && !(refused && t < end)) continue;
        if (s.faults.targetAction(t, end) >= 0) continue;
        // A stall anywhere in the connection, a fault on this request's own frames, or the kit's
        // cut of the connection after it was sent (a proxy closes with a code of its rule's).
        const fault = s.faults.touching(
          actor.id,
          conn.openT,
          end,
          LOSS | ORDER | CORRUPT,
          (f) => f.type === undefined || (f.t >= t && (f.rid === req.rid || (f.effect & END) !== 0)),
        );
        if (fault >= 0) continue;
        const until = conn.open
          ? 'connection open at the end'
          : refused
            ? `the server closed the connection with code ${conn.serverCloseCode} instead`
            : 'until the connection closed';
        s.sink.add({
          kind: 'unanswered-request',
          requirement: 'RID-1',
          expected: `one A with rid ${req.rid} in answer to ${req.type ?? 'the request'}`,
          actual: `${actor.id} conn ${conn.n} got no answer in ${Math.round(end - t)} ms (${until})`,
          evidence: conn.closeIdx >= 0 ? [req.idx, conn.closeIdx] : [req.idx],
          cmid: req.msg >= 0 ? msgCmid(s.l, req.msg) : undefined,
        });
      }
    }
  }
}
