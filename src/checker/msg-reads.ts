/**
 * What the ledger reads back about a message or a stored copy from the event that first showed it
 * (its origin: the send, else the first msg:R): its cmid, receiver, body and sender are never
 * copied into the ledger's tables (tables.ts), only their event's index.
 */

import type { ActorId } from '../history/events.js';
import { type ActorState, actorOf, type Ledger, nameId, type UserState } from './state.js';

/** toName's "not read yet" (0: a fresh column's pages are touched only where written, tables.ts). */
const UNREAD = 0;

/** A stored message's fields as event `idx` showed them (`item`: its index in a sync page). */
export function recordAt(l: Ledger, idx: number, item: number): Record<string, unknown> {
  const e = l.log.at(idx);
  if (e.kind !== 'frame') return e as unknown as Record<string, unknown>;
  if (item < 0) return e.fields;
  return (e.fields['msgs'] as Record<string, unknown>[])[item]!;
}

/** A message's origin: the send event's members, or the first msg:R's fields. */
function origin(l: Ledger, m: number): Record<string, unknown> {
  const e = l.log.at(l.msgs.originIdx.get(m));
  return e.kind === 'frame' ? e.fields : (e as unknown as Record<string, unknown>);
}

export function msgCmid(l: Ledger, m: number): string {
  return origin(l, m)['cmid'] as string;
}

export function msgTo(l: Ledger, m: number): string | undefined {
  const to = origin(l, m)['to'];
  return typeof to === 'string' ? to : undefined;
}

/**
 * The user message `m` was sent to (its origin's `to`), or undefined: none named, or no user of
 * that name (yet: one may appear later in the run, and is found then). Its name's number is read
 * from the origin once and kept (MessageTable.toName). Why: the pass, the end's verdicts and the
 * retirements each looked the receiver up by name, and the end's read back the origin event's
 * fields for it, a cache miss per message on a history far larger than the cache.
 */
export function msgReceiver(l: Ledger, m: number): UserState | undefined {
  const t = l.msgs;
  let v = t.toName.get(m);
  if (v === UNREAD) {
    const to = msgTo(l, m);
    v = to === undefined ? -1 : nameId(l, to) + 1;
    t.toName.set(m, v);
  }
  return v < 0 ? undefined : l.byName[v - 1];
}

export function msgBody(l: Ledger, m: number): string | undefined {
  const body = origin(l, m)['body'];
  return typeof body === 'string' ? body : undefined;
}

/** The sending actor (the origin event's actor). */
export function msgSender(l: Ledger, m: number): ActorState {
  return actorOf(l, (l.log.at(l.msgs.originIdx.get(m)) as { actor: ActorId }).actor);
}

/**
 * The message a stored copy belongs to, or -1: none linked, or one the streaming ledger already
 * judged and forgot. A copy can outlive its message (copies are dropped in order, so a later
 * message's copy holds an earlier one's back), and a forgotten message's facts read as nothing
 * known — its origin event among them, which its sender, cmid and receiver are read from.
 */
export function storedMsg(l: Ledger, st: number): number {
  const m = l.stored.msg.get(st);
  return m >= l.msgs.base ? m : -1;
}

export function storedSmid(l: Ledger, st: number): string {
  return recordAt(l, l.stored.originIdx.get(st), l.stored.originItemOf(st))['smid'] as string;
}
