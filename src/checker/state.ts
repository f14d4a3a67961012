/**
 * The ledger the checker builds in one pass over the history: users, actors (user/device), their
 * connections, requests, and two views of every message — `Msg` per (sender user, cmid), the
 * message as the sender's app knows it, and `Stored` per smid, a copy the server stored (a server
 * that stores a retransmission twice has two Stored for one Msg). Everything is reached through
 * maps keyed by actor, user, rid, cmid, smid and seq: nothing searches the history.
 */

import type { ActorId, HistoryEvent } from '../history/events.js';
import type { FrameType, Limits } from '../protocol/frames.js';

export interface Req {
  idx: number;
  t: number;
  type: FrameType | undefined;
  rid: string;
  fields: Record<string, unknown>;
  /** R frames sent with this rid on the connection (a client SHOULD keep rids unique). */
  sent: number;
  answers: number;
  answerIdx: number;
  /** ack:R / sync:R with ackUpTo: the device's confirmed cursor when the request went out. */
  cursorAtSend: number;
  /** msg:R: the message it carries. */
  msg: Msg | undefined;
  /** Sent malformed on purpose (a raw probe): its answer is the probe's business, not RID-1's. */
  probe: boolean;
}

/** A pending "must see this on this connection" expectation: DEDUP-3's re-sent receipt. */
export interface Expect {
  idx: number;
  t: number;
  msg: Msg;
}

export interface Order2Candidate {
  idx: number;
  prevIdx: number;
  seq: number;
  prevSeq: number;
}

export interface ForwardPage {
  after: number;
  last: number;
  idx: number;
}

export class ConnState {
  closeT = Number.POSITIVE_INFINITY;
  closeIdx = -1;
  /** Counted in the user's connected devices (from hello:R, or the session event). */
  counted = false;
  sessionIdx = -1;
  sessionT = Number.NaN;
  limits: Limits | undefined;
  readonly requests = new Map<string, Req>();
  /** Out frames without a readable rid, waiting for an error:A with rid null (FRAME-2/3). */
  anonymous = 0;
  // ORDER-2, by `attempt` (absent or 1 = first push).
  lastFirstSeq = 0;
  lastFirstIdx = -1;
  order2: Order2Candidate[] | undefined;
  // ORDER-2 for servers that never send `attempt`: first push = first time this seq arrives here.
  pushed: Set<number> | undefined;
  lastNewSeq = 0;
  lastNewIdx = -1;
  order2New: Order2Candidate[] | undefined;
  /** DEDUP-3: smid → the dup msg:A that must be followed by an ack:N on this connection. */
  expectReceipt: Map<string, Expect> | undefined;
  lastForward: ForwardPage | undefined;

  constructor(
    readonly n: number,
    readonly actor: ActorState,
    readonly openT: number,
    readonly openIdx: number,
  ) {}

  get open(): boolean {
    return this.closeT === Number.POSITIVE_INFINITY;
  }
}

export class ActorState {
  readonly conns: ConnState[] = [];
  /** Bumped when the app loses its store (lose-state, a login with no local state). */
  epoch = 0;
  firstSessionT = Number.POSITIVE_INFINITY;
  /** maxSeq − pending of the first session: seqs at or below it are not owed to this device. */
  firstBase: number | undefined;
  /** The first session sent lastSeq: the device had local state, so every later seq is owed to it. */
  firstHadState = false;
  /** The connection of the latest session, and when that session started. */
  sessionConn: ConnState | undefined;
  liveSince = Number.NaN;
  /** Last connection looked up (a fast path: frames mostly come on the newest one). */
  lastConn: ConnState | undefined;
  readonly connByN = new Map<number, ConnState>();
  // Ack cursor bookkeeping (ACK-1, ACK-4, DUR-2, SYNC-3).
  cursorLo = -1;
  cursorLoIdx = -1;
  cursorLoT = 0;
  cursorLoBy: 'ack' | 'sync' | 'hello' = 'ack';
  requestedMax = -1;
  maxSeqAtFirstHello = -1;
  // Seqs seen (pushes, pages, commits): (t, seq) each time the device's maximum rose.
  readonly maxSteps: number[] = [];
  seenMax = 0;

  constructor(
    readonly id: ActorId,
    readonly user: UserState,
    readonly listed: boolean,
  ) {}
}

export interface Pair {
  /** Messages in the order their first msg:R went out. */
  byRequest: Msg[];
  /** Messages in the order their first msg:A came back. */
  byAccept: Msg[];
}

export class UserState {
  readonly devices: ActorState[] = [];
  /** Connections of this user's devices open now (client view). */
  connected = 0;
  /** When `connected` last dropped to 0; -∞ when never connected. */
  zeroSince = Number.NEGATIVE_INFINITY;
  /** Inbox: seq → the first stored message seen with it. */
  readonly seqs = new Map<number, Stored>();
  maxSeqKnown = 0;
  /** Highest seq any device of the user has acked (sent: ack:R, ackUpTo, hello lastSeq). */
  maxAckSent = 0;
  /** Highest seq an ack of any device was confirmed for (ack:A, sync:A after ackUpTo). */
  ackConfirmed = 0;
  readonly holesReported = new Set<number>();
  readonly reusedSeqs = new Set<number>();
  /** As a sender: cmid → message. */
  readonly msgs = new Map<string, Msg>();
  /** As a sender: receiver user → order bookkeeping (ORDER-1). */
  readonly pairs = new Map<string, Pair>();

  constructor(
    readonly name: string,
    readonly listed: boolean,
  ) {}
}

export interface CommitRec {
  actor: ActorState;
  epoch: number;
  smid: string;
  idx: number;
}

/** A message as its sender knows it: one per (sender user, cmid). */
export class Msg {
  sender: ActorState | undefined;
  to: string | undefined;
  body: string | undefined;
  /** Sent by a bot (`send` event): the ledger holds it to account. */
  sendIdx = -1;
  sendT = Number.NaN;
  firstRIdx = -1;
  firstRT = Number.NaN;
  lastRT = Number.NaN;
  requests = 0;
  retransmits = 0;
  answered = false;
  errorIdx = -1;
  gaveUpIdx = -1;
  acceptIdx = -1;
  acceptT = Number.NaN;
  /** When the msg:R answered by the first msg:A went out. */
  acceptReqT = Number.NaN;
  acceptConn: ConnState | undefined;
  offlineAtAccept = false;
  stored: Stored | undefined;
  storedRcptIdx = -1;
  storedRcptT = Number.NaN;
  deliveredRcptIdx = -1;
  deliveredRcptT = Number.NaN;
  firstRcptT = Number.NaN;
  commits: CommitRec[] | undefined;
  /** Already reported as differing from what was sent (SEQ-3). */
  unexpected = false;
  firstCommitIdx = -1;
  firstCommitT = Number.NaN;

  constructor(
    readonly from: UserState,
    readonly cmid: string,
  ) {}
}

/** A message as the server stored it: one per smid. */
export class Stored {
  seq: number | undefined;
  /** First event that showed this smid with a seq. */
  seqIdx = -1;
  cmid: string | undefined;
  from: string | undefined;
  to: string | undefined;
  body: string | undefined;
  /** First observation (push, page, commit) — the reference for SEQ-3. */
  obsIdx = -1;
  inconsistent = false;
  /** When an ack covering its seq was first confirmed to a device of the receiver. */
  ackConfT = Number.NaN;
  ackConfIdx = -1;

  constructor(
    readonly smid: string,
    public msg: Msg | undefined,
  ) {}
}

export interface Ledger {
  readonly events: readonly HistoryEvent[];
  readonly users: Map<string, UserState>;
  readonly actors: Map<ActorId, ActorState>;
  readonly bySmid: Map<string, Stored>;
  /** Messages in the order the ledger first heard of them. */
  readonly msgs: Msg[];
  /** Indexes of inbound msg:N frames of messages the device had already committed (wire duplicates). */
  readonly wireDuplicates: number[];
  /** Index of every retransmit event. */
  readonly retransmitIdx: number[];
  attemptSeen: boolean;
  schemaViolations: number;
  appDuplicates: number;
  seqGaps: number;
  requests: number;
  unanswered: number;
  maxRepushMs: number;
}

export function newLedger(events: readonly HistoryEvent[]): Ledger {
  return {
    events,
    users: new Map(),
    actors: new Map(),
    bySmid: new Map(),
    msgs: [],
    wireDuplicates: [],
    retransmitIdx: [],
    attemptSeen: false,
    schemaViolations: 0,
    appDuplicates: 0,
    seqGaps: 0,
    requests: 0,
    unanswered: 0,
    maxRepushMs: 0,
  };
}

export function userOf(l: Ledger, name: string): UserState {
  let u = l.users.get(name);
  if (!u) {
    u = new UserState(name, false);
    l.users.set(name, u);
  }
  return u;
}

/** Actor ids are "user/device"; an actor outside the case's bots is split at its first '/'. */
export function actorOf(l: Ledger, id: ActorId): ActorState {
  let a = l.actors.get(id);
  if (!a) {
    const slash = id.indexOf('/');
    const user = userOf(l, slash < 0 ? id : id.slice(0, slash));
    a = new ActorState(id, user, false);
    user.devices.push(a);
    l.actors.set(id, a);
  }
  return a;
}

/** The message (from, cmid), created on first sight. */
export function msgOf(l: Ledger, from: UserState, cmid: string): Msg {
  let m = from.msgs.get(cmid);
  if (!m) {
    m = new Msg(from, cmid);
    from.msgs.set(cmid, m);
    l.msgs.push(m);
  }
  return m;
}

export function findMsg(l: Ledger, from: unknown, cmid: unknown): Msg | undefined {
  if (typeof from !== 'string' || typeof cmid !== 'string') return undefined;
  return l.users.get(from)?.msgs.get(cmid);
}

export function pairOf(from: UserState, to: string): Pair {
  let p = from.pairs.get(to);
  if (!p) {
    p = { byRequest: [], byAccept: [] };
    from.pairs.set(to, p);
  }
  return p;
}
