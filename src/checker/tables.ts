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

/**
 * A column's store. A caller that reserves room knows it holds a whole history (check()): its
 * columns and key tables are views of a SharedArrayBuffer. Why: an ordinary ArrayBuffer counts
 * against V8's external-memory budget, and V8 starts a full collection once that grows by ~64 MB:
 * a check() of 1M messages, reserving ~130 MB, collected its 2.5 GB history before its first event
 * (2.6-4.7 s, a third of its CPU time). Plain arrays of small integers dodged that at 8 bytes an
 * entry, and first touching those fresh pages (~3.4 ms/MB on this VM) was a tenth of check()'s
 * CPU. V8 leaves shared buffers out of that budget (one may be shared by several isolates), so a
 * reserved entry costs 4 bytes and no collection, and every column is an Int32Array (one shape for
 * the JIT). Measured: 24 columns of 4M entries beside a 1 GB heap took 1.3 s of CPU as shared
 * views, 3.0 s as plain arrays, 7.9 s as ordinary Int32Arrays (four full collections). Such a
 * buffer is freed with its view, at the next collection that finds it unreachable. The streaming
 * ledger never reserves: it holds little, and its ordinary Int32Arrays are accounted as usual.
 */
export type Store = Int32Array;

/** `n` copies of `v`: on a SharedArrayBuffer when `reserved` (see Store). */
export function store(n: number, v: number, reserved: boolean): Store {
  const a = reserved ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
  // Zeroed already: a column whose empty is 0 touches its pages only where it is written.
  return v === 0 ? a : a.fill(v);
}

/** `n` zeroed doubles, on a SharedArrayBuffer when `reserved` (see Store: the same budget applies). */
export function doubles(n: number, reserved: boolean): Float64Array {
  return reserved ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

/** Whether `a` came from a reservation (its growth stays on a shared buffer). */
export function isReserved(a: Store): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

export class Column {
  a: Store;
  base = 0;

  constructor(
    cap: number,
    private readonly empty: number,
  ) {
    this.a = new Int32Array(cap).fill(empty);
  }

  get(id: number): number {
    const k = id - this.base;
    return k >= 0 && k < this.a.length ? this.a[k]! : this.empty;
  }

  set(id: number, v: number): void {
    this.a[id - this.base] = v;
  }

  /** Room for ids below `end` (ids from `base`), on a shared buffer when `reserved` (see Store). */
  ensure(end: number, reserved = isReserved(this.a)): void {
    const need = end - this.base;
    if (need <= this.a.length) return;
    const b = store(Math.max(need, this.a.length * 2), this.empty, reserved);
    b.set(this.a);
    this.a = b;
  }

  /** Forgets ids below `base`, sliding the rest down (linear in what is still held). */
  drop(base: number): void {
    const k = base - this.base;
    if (k <= 0) return;
    this.a.copyWithin(0, k);
    this.a.fill(this.empty, this.a.length - k);
    this.base = base;
  }
}

/** Message flags. */
export const ANSWERED = 1;
export const OFFLINE_AT_ACCEPT = 2;
export const UNEXPECTED = 4;
/** The origin event is a `send` (the app sent it), not a msg:R seen on the wire. */
export const SENT = 8;
/** Its end verdicts were given (at the end, or when the streaming ledger retired it). */
export const JUDGED = 16;
/** Counted in `lost` (once, whichever rule found it). */
export const LOST = 32;
/** Delivered with every receipt it is owed: no longer in flight. */
export const SETTLED = 64;
/** Counted in `appDuplicates` (a re-accept counts once, and not again after a second commit). */
export const DUPLICATED = 128;
/**
 * Its (sender user, cmid) slot of the message index was born with it (state.ts msgOf), so that
 * key names it for as long as it is held: retirement need not look the key up to know.
 */
export const OWN_KEY = 256;

/** A commit beyond a message's first (app duplicates, other devices of the receiver). */
export interface CommitRec {
  /** Commit event index (its actor and smid are read from it). */
  idx: number;
  epoch: number;
}

/** Messages as the sender's app knows them: one per (sender user, cmid). */
export class MessageTable {
  size = 0;
  /** Ids below it are retired (streaming ledger): judged and forgotten. */
  base = 0;
  /** The send event, else the first msg:R: where cmid, to, body and the sender are read. */
  readonly originIdx = new Column(1024, -1);
  readonly firstRIdx = new Column(1024, -1);
  readonly acceptIdx = new Column(1024, -1);
  readonly storedRcptIdx = new Column(1024, -1);
  readonly deliveredRcptIdx = new Column(1024, -1);
  /** The first commit event, and the app epoch of its device then (mod 2^16: compared for equality). */
  readonly commitIdx = new Column(1024, -1);
  readonly commitEpoch = new Column(1024, 0);
  /** Stored id of the first smid the message was accepted or seen with. */
  readonly stored = new Column(1024, -1);
  readonly flags = new Column(1024, 0);
  /** The number + 1 of the name the origin sends to (-1: none), 0 until read (msg-reads.ts msgReceiver). */
  readonly toName = new Column(1024, 0);
  private readonly columns = [
    this.originIdx,
    this.firstRIdx,
    this.acceptIdx,
    this.storedRcptIdx,
    this.deliveredRcptIdx,
    this.commitIdx,
    this.commitEpoch,
    this.stored,
    this.flags,
    this.toName,
  ];
  readonly moreCommits = new Map<number, CommitRec[]>();
  /** Rare on a healthy run: message id → event index. */
  readonly lastRIdx = new Map<number, number>();
  readonly errorIdx = new Map<number, number>();
  readonly gaveUpIdx = new Map<number, number>();
  /** msg:R frames beyond the first. */
  readonly moreRequests = new Map<number, number>();
  /**
   * The msg:R whose answer first showed the message stored, when that is not the first msg:R (a
   * fresh, not dup, msg:A to a retransmission): the earliest the server can have stored it.
   */
  readonly storedFromRIdx = new Map<number, number>();

  /** Grows the columns to hold `n` messages without further doubling (see Store). */
  reserve(n: number): void {
    for (const c of this.columns) c.ensure(this.base + n, true);
  }

  add(originIdx: number): number {
    const id = this.size++;
    if (id - this.originIdx.base >= this.originIdx.a.length) for (const c of this.columns) c.ensure(id + 1);
    this.originIdx.set(id, originIdx);
    return id;
  }

  /** Forgets messages below `base` (the streaming ledger, once they are judged). */
  retire(base: number): void {
    // The rare facts' maps are empty on a healthy run: six deletes per message for nothing.
    for (const map of [
      this.moreCommits,
      this.lastRIdx,
      this.errorIdx,
      this.gaveUpIdx,
      this.moreRequests,
      this.storedFromRIdx,
    ]) {
      if (map.size > 0) for (let m = this.base; m < base; m++) map.delete(m);
    }
    this.base = base;
    for (const c of this.columns) c.drop(base);
  }

  has(id: number, flag: number): boolean {
    return (this.flags.get(id) & flag) !== 0;
  }

  set(id: number, flag: number): void {
    this.flags.set(id, this.flags.get(id) | flag);
  }

  /** The `send` event, or -1 when the message was only seen as a msg:R. */
  sendIdx(id: number): number {
    return this.has(id, SENT) ? this.originIdx.get(id) : -1;
  }

  /** The last msg:R of the message (its first unless retransmitted). */
  lastR(id: number): number {
    return this.lastRIdx.get(id) ?? this.firstRIdx.get(id);
  }

  /**
   * The earliest event the server can have stored the message after: the msg:R its first known
   * msg:A answered, or for a dup: true answer (an earlier attempt stored it, and that attempt's
   * msg:A was lost or is still on its way) the first msg:R. Not the msg:A: a device that logged in
   * between the msg:R and a late or duplicate msg:A may have found the message already stored.
   * -1 when the message was never accepted.
   */
  storedFromIdx(id: number): number {
    if (this.acceptIdx.get(id) < 0) return -1;
    const r = this.storedFromRIdx.get(id) ?? this.firstRIdx.get(id);
    return r >= 0 ? r : this.acceptIdx.get(id);
  }

  requests(id: number): number {
    return this.firstRIdx.get(id) < 0 ? 0 : 1 + (this.moreRequests.get(id) ?? 0);
  }

  /** The first receipt of any status, or -1. */
  firstRcptIdx(id: number): number {
    const a = this.storedRcptIdx.get(id);
    const b = this.deliveredRcptIdx.get(id);
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  delivered(id: number): boolean {
    return this.commitIdx.get(id) >= 0;
  }

  /**
   * The first commit event (of those in `epoch`, when given ≥ 0) that `match` accepts, or -1.
   * The first commit is checked inline: the common case allocates nothing.
   */
  findCommit(id: number, epoch: number, match: (idx: number) => boolean): number {
    const first = this.commitIdx.get(id);
    if (first < 0) return -1;
    const e16 = epoch & 0xffff;
    if ((epoch < 0 || this.commitEpoch.get(id) === e16) && match(first)) return first;
    const more = this.moreCommits.get(id);
    if (more) for (const c of more) if ((epoch < 0 || c.epoch === epoch) && match(c.idx)) return c.idx;
    return -1;
  }

  addCommit(id: number, idx: number, epoch: number): void {
    if (this.commitIdx.get(id) < 0) {
      this.commitIdx.set(id, idx);
      this.commitEpoch.set(id, epoch & 0xffff);
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
  /** Ids below it are retired (streaming ledger). */
  base = 0;
  /** Where the smid was first met (its page item, if a sync page, in `originItem`). */
  readonly originIdx = new Column(1024, -1);
  /** First observation (push, page item, commit): the reference for SEQ-3. */
  readonly obsIdx = new Column(1024, -1);
  /** Seq: -1 until a device saw it. */
  private readonly seqs = new Column(1024, -1);
  /** When (event index) an ack covering its seq was first confirmed to a device of the receiver. */
  readonly ackConfIdx = new Column(1024, -1);
  /**
   * The request (ack:R, or sync:R with ackUpTo) whose confirmation set ackConfIdx: the server
   * applied that ack between this event and the confirmation. -1 when the seq became known only
   * after its ack was confirmed.
   */
  readonly ackReqIdx = new Column(1024, -1);
  /** Message id, -1 when no bot of the case sent it. */
  readonly msg = new Column(1024, -1);
  private readonly columns = [
    this.originIdx,
    this.obsIdx,
    this.seqs,
    this.ackConfIdx,
    this.ackReqIdx,
    this.msg,
  ];
  /** Page items (sync:A) only: a push or commit has none. Read through originItemOf. */
  readonly originItem = new Map<number, number>();
  /** Page items only, as originItem. Read through obsItemOf. */
  readonly obsItem = new Map<number, number>();
  /** First event with a seq, when that is not the first observation. */
  private readonly seqIdxOther = new Map<number, number>();
  private readonly bigSeqs = new Map<number, number>();
  /** Already reported as inconsistent (SEQ-3). */
  readonly inconsistent = new Set<number>();
  /**
   * A copy first seen before a stop of the target, pushed or paged again after the latest stop:
   * where the server first sent it then. It survived that stop (DUR-3, not DUR-1). Empty in a
   * case without a kill or restart.
   */
  readonly seenAfterStopIdx = new Map<number, number>();

  /** Grows the columns to hold `n` stored messages without further doubling (see Store). */
  reserve(n: number): void {
    for (const c of this.columns) c.ensure(this.base + n, true);
  }

  /**
   * The page item where copy `id` was first met, or -1. Both item maps stay empty where no sync
   * page carries messages (every load run, the bench's clean exchange), and a get on an empty
   * map still hashes its key: read per push, commit and retired copy, that was three lookups a
   * message for nothing.
   */
  originItemOf(id: number): number {
    return this.originItem.size === 0 ? -1 : (this.originItem.get(id) ?? -1);
  }

  /** The page item of copy `id`'s first observation, or -1 (see originItemOf). */
  obsItemOf(id: number): number {
    return this.obsItem.size === 0 ? -1 : (this.obsItem.get(id) ?? -1);
  }

  add(msg: number, originIdx: number, originItem: number): number {
    const id = this.size++;
    if (id - this.msg.base >= this.msg.a.length) for (const c of this.columns) c.ensure(id + 1);
    this.msg.set(id, msg);
    this.originIdx.set(id, originIdx);
    if (originItem >= 0) this.originItem.set(id, originItem);
    return id;
  }

  /** Forgets stored messages below `base` (the streaming ledger). */
  retire(base: number): void {
    // As MessageTable.retire: these are empty on a healthy run.
    for (const map of [
      this.originItem,
      this.obsItem,
      this.seqIdxOther,
      this.bigSeqs,
      this.inconsistent,
      this.seenAfterStopIdx,
    ]) {
      if (map.size > 0) for (let id = this.base; id < base; id++) map.delete(id);
    }
    this.base = base;
    for (const c of this.columns) c.drop(base);
  }

  /** The seq, or undefined while unknown. */
  seqOf(id: number): number | undefined {
    const seq = this.seqs.get(id);
    if (seq === -1) return undefined;
    return seq === BIG_SEQ ? this.bigSeqs.get(id) : seq;
  }

  /** Records the seq, first shown by event `idx`. */
  setSeq(id: number, seq: number, idx: number): void {
    if (seq >= 0 && seq <= 0x7fffffff) this.seqs.set(id, seq);
    else {
      this.seqs.set(id, BIG_SEQ);
      this.bigSeqs.set(id, seq);
    }
    if (idx !== this.obsIdx.get(id)) this.seqIdxOther.set(id, idx);
  }

  /** The first event that showed the seq, or -1. */
  seqIdx(id: number): number {
    if (this.seqs.get(id) === -1) return -1;
    return this.seqIdxOther.get(id) ?? this.obsIdx.get(id);
  }
}
