/**
 * Connection numbering shared by every driver: `FrameEvent.conn` counts an actor's connections
 * from 1 within one history, whichever driver (or raw probe socket) opened them, so the checker
 * can tell a re-push on a new connection from one on the same connection. Within a connection,
 * the rids a driver makes up for its requests follow one pattern too (`clientRid`).
 */

import type { ActorId, CloseEvent, History, SessionEvent } from '../history/events.js';
import type { CloseInfo, SessionInfo } from './driver.js';

const counters = new WeakMap<History, Map<ActorId, number>>();

/** Returns the next connection number of `actor` in `history` (1 for the first). */
export function nextConn(history: History, actor: ActorId): number {
  let perActor = counters.get(history);
  if (!perActor) {
    perActor = new Map();
    counters.set(history, perActor);
  }
  const n = (perActor.get(actor) ?? 0) + 1;
  perActor.set(actor, n);
  return n;
}

/**
 * The rid of a driver's `n`-th request on a connection: short, and unlike any rid a probe in a
 * suite would pick ("r1", "p1"), so the two never collide in one history.
 */
export function clientRid(n: number): string {
  return `~${n.toString(36)}`;
}

/** Appends the `close` event of one connection (drivers record it; bots do not). */
export function recordClose(history: History, actor: ActorId, conn: number, info: CloseInfo): void {
  const event: CloseEvent = {
    kind: 'close',
    t: history.now(),
    actor,
    conn,
    initiator: info.initiator,
    code: info.code,
    reason: info.reason,
  };
  history.append(event);
}

/** Appends the `session` event of a login (drivers record it once the login answer is in). */
export function recordSession(
  history: History,
  actor: ActorId,
  conn: number,
  info: SessionInfo,
  lastSeq: number | undefined,
): void {
  const event: SessionEvent = {
    kind: 'session',
    t: history.now(),
    actor,
    conn,
    maxSeq: info.maxSeq,
    pending: info.pending,
    caps: [...info.caps],
    limits: info.limits,
    lastSeq,
  };
  history.append(event);
}
