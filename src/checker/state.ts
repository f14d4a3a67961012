/**
 * The ledger the checker builds in one pass over the history: users, actors (user/device), their
 * connections, requests, and two views of every message (tables.ts) — a message per (sender
 * user, cmid), as the sender's app knows it, and a stored copy per smid (a server that stores a
 * retransmission twice has two stored copies of one message). Everything is reached through maps
 * keyed by actor, user, rid, cmid, smid and seq: nothing searches the history.
 */

import type { ActorId } from '../history/events.js';
import { MessageIndex } from './always-on/message-index.js';
import { ForgottenKeys } from './always-on/types.js';
import { ActorState, type Pair, type Req, UserState } from './device-state.js';
import { Ints } from './ints.js';
import type { EventLog } from './log.js';
import { type Column, MessageTable, OWN_KEY, StoredTable } from './tables.js';

export {
  ActorState,
  ConnState,
  type Expect,
  type ForwardPage,
  type Order2Candidate,
  type Pair,
  type Req,
  UserState,
} from './device-state.js';

/** Evidence indexes kept per counted pattern (retransmissions, wire duplicates). */
export const SAMPLE = 12;

/**
 * Keys of retired messages, in two generations (per user: no key string per message): a commit
 * or push of a message the streaming ledger has already judged is a late echo, not a message
 * nobody sent (SEQ-3).
 */
export class RetiredKeys extends ForgottenKeys {}

export interface Ledger {
  readonly log: EventLog;
  readonly users: Map<string, UserState>;
  /**
   * User names, and the names messages are sent to, each given a number once (nameId): a
   * message's receiver is then found by its number (msg-reads.ts msgReceiver), not by reading its
   * origin event back and looking its `to` up in `users` on every read.
   */
  readonly nameIds: Map<string, number>;
  /** Per name number: the user of that name, once there is one (addUser keeps it with `users`). */
  readonly byName: (UserState | undefined)[];
  readonly actors: Map<ActorId, ActorState>;
  /**
   * The always-on judges' message index (always-on/message-index.ts), shared: the ledger's
   * (sender user, cmid) keys are its `messages` slots, so a message's key is hashed and inserted
   * once for the ledger and every judge (the judges' lookups of the same key right after the
   * ledger's hit the table's last answer). Measured on 300k clean messages, a Map per sender was
   * a sixth of check()'s time and the judges' own insert another eighth — mostly cold buckets
   * and, for the Maps, rehashes rereading every key string's hash from across the history.
   */
  readonly index: MessageIndex;
  /**
   * Per `messages` slot: the ledger's message id, set only at the slot's birth (so a slot born
   * before its message's origin — a judge saw the key first — never carries one: see `strays`).
   * A retired message's slot is forgotten with it (the judges forget what was born before the
   * oldest live message's origin), so what this column says is always a live message.
   */
  readonly msgOfSlot: Column;
  /**
   * user NUL cmid → message id, for a message whose key a judge had already made a slot for
   * (a cmid sent again after its first message retired): that slot may be forgotten while the
   * message lives. Never used on a healthy run.
   */
  strays: Map<string, number> | undefined;
  /** smid → stored id, for smids that are not a message's first (see findStored). */
  readonly bySmid: Map<string, number>;
  /** Messages, ids in the order the ledger first heard of them. */
  readonly msgs: MessageTable;
  readonly stored: StoredTable;
  /** Inbound msg:N frames of messages the device had already committed (wire duplicates): count, first indexes. */
  wireDuplicates: number;
  readonly wireDuplicateIdx: number[];
  /** Retransmit events: count, first indexes (evidence). */
  retransmits: number;
  readonly retransmitIdx: number[];
  /** The streaming ledger's forgotten (sender, cmid) keys, to tell a late echo from a stranger. */
  retired: RetiredKeys | undefined;
  /** Settled request records no queue holds any more, reused by the next requests (requests.ts). */
  readonly spareReqs: Req[];
  attemptSeen: boolean;
  lastActor: ActorState | undefined;
  /** The actor actorOf answered before `lastActor` (see actorOf). */
  prevActor: ActorState | undefined;
  schemaViolations: number;
  appDuplicates: number;
  seqGaps: number;
  requests: number;
  unanswered: number;
  maxRepushMs: number;
}

export function newLedger(log: EventLog): Ledger {
  const index = new MessageIndex();
  return {
    log,
    users: new Map(),
    nameIds: new Map(),
    byName: [],
    actors: new Map(),
    index,
    msgOfSlot: index.messages.column(-1),
    strays: undefined,
    bySmid: new Map(),
    msgs: new MessageTable(),
    stored: new StoredTable(),
    wireDuplicates: 0,
    wireDuplicateIdx: [],
    retransmits: 0,
    retransmitIdx: [],
    retired: undefined,
    spareReqs: [],
    attemptSeen: false,
    lastActor: undefined,
    prevActor: undefined,
    schemaViolations: 0,
    appDuplicates: 0,
    seqGaps: 0,
    requests: 0,
    unanswered: 0,
    maxRepushMs: 0,
  };
}

export function userOf(l: Ledger, name: string): UserState {
  return l.users.get(name) ?? addUser(l, new UserState(name, false, l.index.arena));
}

/** `user` joins the ledger's users (the only way one does: `byName` follows `users`). */
export function addUser(l: Ledger, user: UserState): UserState {
  l.users.set(user.name, user);
  l.byName[nameId(l, user.name)] = user;
  return user;
}

/** The number of `name` (see Ledger.nameIds), given on first sight. */
export function nameId(l: Ledger, name: string): number {
  let id = l.nameIds.get(name);
  if (id === undefined) {
    id = l.byName.length;
    l.nameIds.set(name, id);
    l.byName.push(undefined);
  }
  return id;
}

/** Actor ids are "user/device"; an actor outside the case's bots is split at its first '/'. */
export function actorOf(l: Ledger, id: ActorId): ActorState {
  // Runs of events by one actor are common (send, msg:R, msg:A): skip the map for them. And the
  // one before: a message's events go sender, receiver, sender, and a receiver's commit looks its
  // sender up between the receiver's own events (on the bench, remembering both more than
  // halves the map lookups actorOf makes).
  const last = l.lastActor;
  if (last !== undefined && last.id === id) return last;
  const prev = l.prevActor;
  l.prevActor = last;
  if (prev !== undefined && prev.id === id) {
    l.lastActor = prev;
    return prev;
  }
  let a = l.actors.get(id);
  if (!a) {
    const slash = id.indexOf('/');
    const user = userOf(l, slash < 0 ? id : id.slice(0, slash));
    a = new ActorState(id, user, false);
    user.addDevice(a);
    l.actors.set(id, a);
  }
  l.lastActor = a;
  return a;
}

/** The message id of (from, cmid), created on first sight at event `originIdx`. */
export function msgOf(l: Ledger, from: UserState, cmid: string, originIdx: number): number {
  if (l.strays !== undefined) {
    const stray = l.strays.get(strayKey(from.name, cmid));
    if (stray !== undefined) return stray;
  }
  const keys = l.index.messages;
  const before = keys.size;
  const slot = keys.slot(from.name, cmid, originIdx);
  if (keys.size !== before) {
    const id = l.msgs.add(originIdx);
    l.msgOfSlot.set(slot, id);
    l.msgs.set(id, OWN_KEY);
    return id;
  }
  const id = l.msgOfSlot.get(slot);
  if (id >= 0) return id;
  // A judge made this slot earlier: it may be forgotten before this message retires.
  const stray = l.msgs.add(originIdx);
  l.strays ??= new Map();
  l.strays.set(strayKey(from.name, cmid), stray);
  return stray;
}

function strayKey(user: string, cmid: string): string {
  return `${user}\u0000${cmid}`;
}

/** The live message `user` (a name) sent with `cmid`, or -1 (a retired message's key is forgotten). */
function liveMsg(l: Ledger, user: string, cmid: string): number {
  const slot = l.index.messages.find(user, cmid);
  const id = slot < 0 ? -1 : l.msgOfSlot.get(slot);
  if (id >= 0 || l.strays === undefined) return id;
  return l.strays.get(strayKey(user, cmid)) ?? -1;
}

/** `user`'s live message with `cmid`, or -1. */
export function userMsg(l: Ledger, user: UserState, cmid: string): number {
  return liveMsg(l, user.name, cmid);
}

/** Drops the strays below message `base` (retire.ts; the slots went with the judges' forget). */
export function forgetStrays(l: Ledger, base: number): void {
  if (l.strays === undefined) return;
  for (const [key, id] of l.strays) if (id < base) l.strays.delete(key);
}

/** The message id of (from, cmid), or -1. */
export function findMsg(l: Ledger, from: unknown, cmid: unknown): number {
  if (typeof from !== 'string' || typeof cmid !== 'string') return -1;
  return liveMsg(l, from, cmid);
}

export function pairOf(from: UserState, to: string): Pair {
  // Most messages of a sender go to the receiver of its previous one.
  if (from.lastPairTo === to) return from.lastPair!;
  from.pairs ??= new Map();
  let p = from.pairs.get(to);
  if (!p) {
    p = { byRequest: new Ints(from.arena), byAccept: new Ints(from.arena) };
    from.pairs.set(to, p);
  }
  from.lastPairTo = to;
  from.lastPair = p;
  return p;
}
