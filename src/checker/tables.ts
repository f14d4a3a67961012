/**
 * The per-message ledger as column tables: a message is an integer id and its facts are event
 * indexes in typed arrays (-1: not yet). Nothing per message is an object: its cmid, receiver,
 * body and sender are read back from the event that first showed it, its committing device from
 * the commit event, and facts that are rare on a healthy run (errors, give-ups, retransmissions,
 * sync-page positions) sit in small maps.
 *
 * Why: measured on 1M messages, a ledger of objects was mostly garbage-collector time. The history
 * beside it is 1.4 GB of live objects, and once the checker allocates more than about 64 MB of
 * array buffers (V8's external-memory soft limit) or a similar amount of heap, V8 marks all of it
 * — a second or more. So the columns hold only what cannot be read back: about 50 bytes a message.
 */

function grow32(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(size).fill(-1);
  b.set(a);
  return b;
}

function grow16(a: Uint16Array, size: number): Uint16Array {
  const b = new Uint16Array(size);
  b.set(a);
  return b;
}

function grow8(a: Uint8Array, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set(a);
  return b;
}

/** Message flags. */
export const ANSWERED = 1;
export const OFFLINE_AT_ACCEPT = 2;
export const UNEXPECTED = 4;
/** The origin event is a `send` (the app sent it), not a msg:R seen on the wire. */
export const SENT = 8;

/** A commit beyond a message's first (app duplicates, other devices of the receiver). */
export interface CommitRec {
  /** Commit event index (its actor and smid are read from it). */
  idx: number;
  epoch: number;
}

/** Messages as the sender's app knows them: one per (sender user, cmid). */
export class MessageTable {
  size = 0;
  private cap = 0;
  /** The send event, else the first msg:R: where cmid, to, body and the sender are read. */
  originIdx: Int32Array = new Int32Array(0);
  firstRIdx: Int32Array = new Int32Array(0);
  acceptIdx: Int32Array = new Int32Array(0);
  storedRcptIdx: Int32Array = new Int32Array(0);
  deliveredRcptIdx: Int32Array = new Int32Array(0);
  /** The first commit event, and the app epoch of its device then (mod 2^16: compared for equality). */
  commitIdx: Int32Array = new Int32Array(0);
  commitEpoch: Uint16Array = new Uint16Array(0);
  /** Stored id of the first smid the message was accepted or seen with. */
  stored: Int32Array = new Int32Array(0);
  flags: Uint8Array = new Uint8Array(0);
  readonly moreCommits = new Map<number, CommitRec[]>();
  /** Rare on a healthy run: message id → event index. */
  readonly lastRIdx = new Map<number, number>();
  readonly errorIdx = new Map<number, number>();
  readonly gaveUpIdx = new Map<number, number>();
  /** msg:R frames beyond the first. */
  readonly moreRequests = new Map<number, number>();

  constructor() {
    this.resize(1024);
  }

  /** Grows the columns to hold `n` messages without further doubling. */
  reserve(n: number): void {
    if (n > this.cap) this.resize(n);
  }

  add(originIdx: number): number {
    const id = this.size++;
    if (id === this.cap) this.resize(this.cap * 2);
    this.originIdx[id] = originIdx;
    return id;
  }

  private resize(cap: number): void {
    this.cap = cap;
    this.originIdx = grow32(this.originIdx, cap);
    this.firstRIdx = grow32(this.firstRIdx, cap);
    this.acceptIdx = grow32(this.acceptIdx, cap);
    this.storedRcptIdx = grow32(this.storedRcptIdx, cap);
    this.deliveredRcptIdx = grow32(this.deliveredRcptIdx, cap);
    this.commitIdx = grow32(this.commitIdx, cap);
    this.commitEpoch = grow16(this.commitEpoch, cap);
    this.stored = grow32(this.stored, cap);
    this.flags = grow8(this.flags, cap);
  }

  has(id: number, flag: number): boolean {
    return (this.flags[id]! & flag) !== 0;
  }

  set(id: number, flag: number): void {
    this.flags[id]! |= flag;
  }

  /** The `send` event, or -1 when the message was only seen as a msg:R. */
  sendIdx(id: number): number {
    return this.has(id, SENT) ? this.originIdx[id]! : -1;
  }

  /** The last msg:R of the message (its first unless retransmitted). */
  lastR(id: number): number {
    return this.lastRIdx.get(id) ?? this.firstRIdx[id]!;
  }

  requests(id: number): number {
    return this.firstRIdx[id]! < 0 ? 0 : 1 + (this.moreRequests.get(id) ?? 0);
  }

  /** The first receipt of any status, or -1. */
  firstRcptIdx(id: number): number {
    const a = this.storedRcptIdx[id]!;
    const b = this.deliveredRcptIdx[id]!;
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  delivered(id: number): boolean {
    return this.commitIdx[id]! >= 0;
  }

  /**
   * The first commit event (of those in `epoch`, when given ≥ 0) that `match` accepts, or -1.
   * The first commit is checked inline: the common case allocates nothing.
   */
  findCommit(id: number, epoch: number, match: (idx: number) => boolean): number {
    const first = this.commitIdx[id]!;
    if (first < 0) return -1;
    const e16 = epoch & 0xffff;
    if ((epoch < 0 || this.commitEpoch[id] === e16) && match(first)) return first;
    const more = this.moreCommits.get(id);
    if (more) for (const c of more) if ((epoch < 0 || c.epoch === epoch) && match(c.idx)) return c.idx;
    return -1;
  }

  addCommit(id: number, idx: number, epoch: number): void {
    if (this.commitIdx[id]! < 0) {
      this.commitIdx[id] = idx;
      this.commitEpoch[id] = epoch & 0xffff;
      return;
    }
    let more = this.moreCommits.get(id);
    if (!more) {
      more = [];
      this.moreCommits.set(id, more);
    }
    more.push({ idx, epoch });
  }
}

/** Seq column marker: the seq did not fit an Int32 and sits in the overflow map. */
const BIG_SEQ = -2;

/** Messages as the server stored them: one per smid (a retransmission stored twice has two). */
export class StoredTable {
  size = 0;
  private cap = 0;
  /** Where the smid was first met (its page item, if a sync page, in `originItem`). */
  originIdx: Int32Array = new Int32Array(0);
  /** First observation (push, page item, commit): the reference for SEQ-3. */
  obsIdx: Int32Array = new Int32Array(0);
  /** Seq: -1 until a device saw it. */
  private seqs: Int32Array = new Int32Array(0);
  /** When (event index) an ack covering its seq was first confirmed to a device of the receiver. */
  ackConfIdx: Int32Array = new Int32Array(0);
  /** Message id, -1 when no bot of the case sent it. */
  msg: Int32Array = new Int32Array(0);
  readonly originItem = new Map<number, number>();
  readonly obsItem = new Map<number, number>();
  /** First event with a seq, when that is not the first observation. */
  private readonly seqIdxOther = new Map<number, number>();
  private readonly bigSeqs = new Map<number, number>();
  /** Already reported as inconsistent (SEQ-3). */
  readonly inconsistent = new Set<number>();

  constructor() {
    this.resize(1024);
  }

  /** Grows the columns to hold `n` stored messages without further doubling. */
  reserve(n: number): void {
    if (n > this.cap) this.resize(n);
  }

  add(msg: number, originIdx: number, originItem: number): number {
    const id = this.size++;
    if (id === this.cap) this.resize(this.cap * 2);
    this.msg[id] = msg;
    this.originIdx[id] = originIdx;
    if (originItem >= 0) this.originItem.set(id, originItem);
    return id;
  }

  private resize(cap: number): void {
    this.cap = cap;
    this.originIdx = grow32(this.originIdx, cap);
    this.obsIdx = grow32(this.obsIdx, cap);
    this.seqs = grow32(this.seqs, cap);
    this.ackConfIdx = grow32(this.ackConfIdx, cap);
    this.msg = grow32(this.msg, cap);
  }

  /** The seq, or undefined while unknown. */
  seqOf(id: number): number | undefined {
    const seq = this.seqs[id]!;
    if (seq === -1) return undefined;
    return seq === BIG_SEQ ? this.bigSeqs.get(id) : seq;
  }

  /** Records the seq, first shown by event `idx`. */
  setSeq(id: number, seq: number, idx: number): void {
    if (seq >= 0 && seq <= 0x7fffffff) this.seqs[id] = seq;
    else {
      this.seqs[id] = BIG_SEQ;
      this.bigSeqs.set(id, seq);
    }
    if (idx !== this.obsIdx[id]) this.seqIdxOther.set(id, idx);
  }

  /** The first event that showed the seq, or -1. */
  seqIdx(id: number): number {
    if (this.seqs[id] === -1) return -1;
    return this.seqIdxOther.get(id) ?? this.obsIdx[id]!;
  }
}
