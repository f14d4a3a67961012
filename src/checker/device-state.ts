/**
 * The ledger's per-user, per-device and per-connection state (state.ts holds the ledger around
 * them). What an idle logged-in device costs the streaming ledger lives here, so each field
 * allocated before its first use says what it costs; on the load bench (heap snapshots of 400 and
 * 2,000 logged-in bots) a user, its device and its connection hold about 1.3 KiB.
 */

import type { ActorId } from '../history/events.js';
import type { FrameType, Limits } from '../protocol/frames.js';
import type { Arena, Ints } from './ints.js';
import { SeqIndex } from './seq-index.js';

/** A request: in flight until `answerIdx` is set. */
export interface Req {
  idx: number;
  /** Its time (the event itself may be forgotten by a streaming ledger). */
  t: number;
  type: FrameType | undefined;
  rid: string;
  fields: Record<string, unknown>;
  /** Index of the answer that settled it; -1 while in flight. */
  answerIdx: number;
  /** ack:R / sync:R with ackUpTo: the device's confirmed cursor when the request went out. */
  cursorAtSend: number;
  /** msg:R: the message id it carries, or -1. */
  msg: number;
  /** Sent malformed on purpose (a raw probe): its answer is the probe's business, not RID-1's. */
  probe: boolean;
}

/** A pending "must see this on this connection" expectation: DEDUP-3's re-sent receipt. */
export interface Expect {
  idx: number;
  msg: number;
  /** The retransmission (msg:R) the dup msg:A answered: a receipt lost after it counts as lost. */
  reqIdx: number;
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
  /**
   * The server ended the connection with a close frame carrying this code (RFC 6455; for other
   * drivers whatever their close event holds); undefined when the client, a crash or the network
   * ended it, or the server's close carried no code. RID-1 reads it (requests.ts closedInsteadOfAnswering).
   */
  serverCloseCode: number | undefined = undefined;
  /** Counted in the user's connected devices (from hello:R, or the session event). */
  counted = false;
  sessionIdx = -1;
  sessionT = Number.NaN;
  limits: Limits | undefined;
  /**
   * Requests in send order from `head` on. Servers answer in order almost always, so an answer is
   * matched against the head first; `byRid` indexes what is in flight only once an answer comes
   * out of order (RID-3), and is dropped when the queue drains.
   */
  queue: (Req | undefined)[] = [];
  head = 0;
  /** One past the newest request in `queue` (slots are reused: the array never shrinks). */
  tail = 0;
  byRid: Map<string, Req> | undefined;
  /**
   * Requests that waited too long at the head, still in `byRid`, judged for RID-1 at the end;
   * made by the first (a healthy run has none, and an empty array is 32 B per connection).
   */
  stale: Req[] | undefined;
  /**
   * The last settled rids and their answers (a ring of pairs: rid at 2k, answer index at 2k + 1),
   * to tell a second answer (RID-2) from a stray one. One array rather than two: an idle
   * connection's ring (the hello:A alone) then costs one array and its first backing store, not
   * two (184 B less per connected load bot, heap snapshots of 400 and 2,000 bots); its first pair
   * makes a two-slot array (requests.ts settle), another 120 B.
   */
  settled: (string | number)[] = [];
  settledPos = 0;
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

/** Connections of an actor found by a search of `conns` up to this many; a map beyond. */
const CONNS_SEARCHED = 8;

export class ActorState {
  /** Its connections, oldest first (addConn). */
  conns: ConnState[] = [];
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
  /**
   * conn number → connection, made once the actor has more than CONNS_SEARCHED connections: most
   * devices log in a few times in a run, and a Map for each (184 B empty) was a tenth of an idle
   * load bot's ledger state.
   */
  private connByN: Map<number, ConnState> | undefined;
  // Ack cursor bookkeeping (ACK-1, ACK-4, DUR-2, SYNC-3).
  cursorLo = -1;
  cursorLoIdx = -1;
  cursorLoT = 0;
  cursorLoBy: 'ack' | 'sync' | 'hello' = 'ack';
  /** Highest upTo an ack of this device was confirmed for (ack:A, sync:A after ackUpTo). */
  ackCovered = 0;
  requestedMax = -1;
  maxSeqAtFirstHello = -1;
  /**
   * The message this actor's previous event was about (cmid → id), and the stored message it last
   * saw (smid → id): a bot's msg:R follows its send, a commit follows its push, so most lookups
   * are answered here without touching the ledger's maps.
   */
  lastCmid: string | undefined;
  lastMsg = -1;
  lastSmid: string | undefined;
  lastStored = -1;
  // Seqs seen (pushes, pages, commits): (t, seq) each time the device's maximum rose.
  readonly maxSteps: number[] = [];
  seenMax = 0;

  constructor(
    readonly id: ActorId,
    readonly user: UserState,
    readonly listed: boolean,
  ) {}

  /** The connection numbered `n` (an event's `conn`), or undefined. */
  conn(n: number): ConnState | undefined {
    const last = this.lastConn;
    if (last !== undefined && last.n === n) return last;
    if (this.connByN !== undefined) return this.connByN.get(n);
    const conns = this.conns;
    for (let k = conns.length - 1; k >= 0; k--) if (conns[k]!.n === n) return conns[k];
    return undefined;
  }

  addConn(conn: ConnState): void {
    this.conns = grown(this.conns, conn);
    if (this.connByN !== undefined) {
      this.connByN.set(conn.n, conn);
    } else if (this.conns.length > CONNS_SEARCHED) {
      this.connByN = new Map();
      for (const c of this.conns) this.connByN.set(c.n, c);
    }
  }
}

/**
 * `list` with `item` appended. The first item makes a one-slot array: push on an empty array
 * reserves 17 slots (152 B), and most users have one device and most devices a connection or
 * two; pushes after the first grow as usual.
 */
function grown<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

export interface Pair {
  /** Message ids in the order their first msg:R went out (chunked: ints.ts). */
  byRequest: Ints;
  /** Message ids in the order their first msg:A came back. */
  byAccept: Ints;
}

export class UserState {
  /** Its devices (addDevice). */
  devices: ActorState[] = [];
  /** Connections of this user's devices open now (client view). */
  connected = 0;
  /** When `connected` last dropped to 0; -∞ when never connected. */
  zeroSince = Number.NEGATIVE_INFINITY;
  /** Inbox: seq → the first stored message seen with it. */
  readonly seqs: SeqIndex;
  maxSeqKnown = 0;
  /** Highest seq any device of the user has acked (sent: ack:R, ackUpTo, hello lastSeq). */
  maxAckSent = 0;
  /**
   * Every seq at or below it is covered by a confirmed ack (ack:A, sync:A after ackUpTo) of a
   * device it was owed to; a device that started past some (ackFloor) may have covered more above.
   */
  ackConfirmed = 0;
  /**
   * Seqs reported missing (SEQ-1, SYNC-1) and seqs reported reused (SEQ-2): created on the first
   * report, since a healthy run has none, and two empty Sets per user were ~300 B of each idle
   * load bot (heap snapshots of 400 and 2,000 bots: 32 B a Set and 120 B its table).
   */
  private holes: Set<number> | undefined;
  private reused: Set<number> | undefined;
  /**
   * As a sender: receiver user → order bookkeeping (ORDER-1); created by the first message it
   * sends (pairOf), since a user that only receives needs none (an empty Map is 184 B).
   */
  pairs: Map<string, Pair> | undefined;
  lastPairTo: string | undefined;
  lastPair: Pair | undefined;

  constructor(
    readonly name: string,
    readonly listed: boolean,
    /** Where its per-message lists take their chunks (the ledger's index's: see ints.ts). */
    readonly arena: Arena,
  ) {
    this.seqs = new SeqIndex(arena);
  }

  addDevice(device: ActorState): void {
    this.devices = grown(this.devices, device);
  }

  holeReported(seq: number): boolean {
    return this.holes?.has(seq) === true;
  }

  /** Remembers that `seq` was reported missing (no second finding for it). */
  reportHole(seq: number): void {
    this.holes ??= new Set();
    this.holes.add(seq);
  }

  reuseReported(seq: number): boolean {
    return this.reused?.has(seq) === true;
  }

  /** Remembers that `seq` was reported reused (no second finding for it). */
  reportReuse(seq: number): void {
    this.reused ??= new Set();
    this.reused.add(seq);
  }
}
