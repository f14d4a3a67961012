/**
 * The server's indexes, in memory: per-user inboxes ordered by seq, the dedup window and the ack
 * cursors. SQLite (store.ts) holds the same facts as an append-only log and rebuilds these at
 * start-up; every read of the running server comes from here.
 *
 * Why in memory: written as SQLite secondary indexes (`messages (to, seq)`, `dedup (sender,
 * cmid)`), each message dirtied B-tree pages at one point per receiver and per sender, and the
 * commit cost 90–150 µs of CPU per message; an append to a table with no secondary index costs
 * about a tenth of that (docs/server.md, "Storage and durability").
 *
 * Pure: no SQLite, no clock. Every mutation returns nothing and is undone by the caller's undo
 * log (store.ts) when the transaction it belongs to rolls back.
 */

import type { StoredMessage } from '../protocol/frames.js';

export type ReceiptState = 'none' | 'stored' | 'delivered';

/** A stored message with the receipt state the server knows for it. */
export interface MessageRecord extends StoredMessage {
  prevSeq: number;
  receipt: ReceiptState;
}

export interface InboxState {
  /** Highest seq in the inbox (0 when empty). */
  maxSeq: number;
  /** Messages ever accepted into the inbox (drives the deterministic seq faults). */
  accepted: number;
}

/**
 * What the dedup window knows for a (sender, cmid) (DEDUP-1/2): the stored message itself (its
 * `ts` is when it was accepted), or — for one acknowledged and never stored (`lost-offline`,
 * `offline-cap`) — its smid and acceptance time.
 */
export type DedupEntry = MessageRecord | { smid: string; ts: number };

/** A message whose receipt just became `delivered` (RCPT-2). */
export interface DeliveredRecord {
  smid: string;
  cmid: string;
  sender: string;
  to: string;
}

export interface Inbox {
  state: InboxState;
  /** Ascending by seq; equal seqs (only under `seq-reuse`/`seq-race`) in insertion order. */
  readonly msgs: MessageRecord[];
}

const EMPTY: InboxState = Object.freeze({ maxSeq: 0, accepted: 0 }) as InboxState;

/** First index whose seq is above `seq`. */
export function upperBound(msgs: readonly MessageRecord[], seq: number): number {
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (msgs[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose seq is at least `seq`. */
export function lowerBound(msgs: readonly MessageRecord[], seq: number): number {
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (msgs[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The wire shape of a message (a sync page must carry no `receipt` member, FRAME-4). */
function wire(m: MessageRecord): StoredMessage {
  return {
    smid: m.smid,
    cmid: m.cmid,
    from: m.from,
    to: m.to,
    body: m.body,
    seq: m.seq,
    prevSeq: m.prevSeq,
    ts: m.ts,
  };
}

export function deviceKey(user: string, device: string): string {
  return `${user}\u0000${device}`;
}

/**
 * Sender → cmid → entry. Two levels rather than one joined key: the cmid string is the stored
 * message's own, so an entry costs a map slot and no new string (a big log's heap, and one string
 * concatenation less per message). Each sender's map is in acceptance order (a replaced cmid is
 * deleted first), so pruning stops at the first young entry.
 */
export class DedupWindow {
  private readonly bySender = new Map<string, Map<string, DedupEntry>>();

  get(sender: string, cmid: string): DedupEntry | undefined {
    return this.bySender.get(sender)?.get(cmid);
  }

  /** Sets the entry for (sender, cmid); returns the one it replaced (to undo with `restore`). */
  set(sender: string, cmid: string, entry: DedupEntry): DedupEntry | undefined {
    let cmids = this.bySender.get(sender);
    if (cmids === undefined) {
      cmids = new Map();
      this.bySender.set(sender, cmids);
    }
    const old = cmids.get(cmid);
    if (old !== undefined) cmids.delete(cmid);
    cmids.set(cmid, entry);
    return old;
  }

  restore(sender: string, cmid: string, old: DedupEntry | undefined): void {
    const cmids = this.bySender.get(sender);
    if (old !== undefined) this.set(sender, cmid, old);
    else cmids?.delete(cmid);
  }

  /** Forgets entries accepted before `before`; returns how many. */
  prune(before: number): number {
    let pruned = 0;
    for (const [sender, cmids] of this.bySender) {
      for (const [cmid, entry] of cmids) {
        // A clock step backwards only delays a prune.
        if (entry.ts >= before) break;
        cmids.delete(cmid);
        pruned++;
      }
      if (cmids.size === 0) this.bySender.delete(sender);
    }
    return pruned;
  }
}

export class SeqConflict extends Error {}

export class MemoryIndex {
  readonly inboxes = new Map<string, Inbox>();
  readonly dedup = new DedupWindow();
  readonly cursors = new Map<string, number>();

  constructor(private readonly uniqueSeq: boolean) {}

  state(user: string): InboxState {
    return this.inboxes.get(user)?.state ?? EMPTY;
  }

  private inboxOf(user: string): Inbox {
    let inbox = this.inboxes.get(user);
    if (inbox === undefined) {
      inbox = { state: EMPTY, msgs: [] };
      this.inboxes.set(user, inbox);
    }
    return inbox;
  }

  setState(user: string, state: InboxState): void {
    this.inboxOf(user).state = state;
  }

  /**
   * Files a message in its inbox at its seq. Throws SeqConflict when (to, seq) is taken and seqs
   * are unique (SEQ-2) — what the old unique index did.
   */
  add(m: MessageRecord): void {
    const msgs = this.inboxOf(m.to).msgs;
    const last = msgs[msgs.length - 1];
    if (last === undefined || last.seq < m.seq) {
      msgs.push(m); // the common case: seqs grow
      return;
    }
    const at = upperBound(msgs, m.seq);
    if (this.uniqueSeq && at > 0 && msgs[at - 1]!.seq === m.seq) {
      throw new SeqConflict(`seq ${m.seq} of ${m.to}'s inbox is taken`);
    }
    msgs.splice(at, 0, m);
  }

  /** Takes a message out of its inbox (undo of `add`, and `smid-restart`'s replacement). */
  remove(m: MessageRecord): void {
    const msgs = this.inboxes.get(m.to)?.msgs;
    if (msgs === undefined) return;
    if (msgs[msgs.length - 1] === m) {
      msgs.pop();
      return;
    }
    for (let i = lowerBound(msgs, m.seq); i < msgs.length && msgs[i]!.seq === m.seq; i++) {
      if (msgs[i] === m) {
        msgs.splice(i, 1);
        return;
      }
    }
  }

  /** Up to `limit` messages with seq above `after`, ascending. */
  after(user: string, after: number, limit: number): StoredMessage[] {
    const msgs = this.inboxes.get(user)?.msgs ?? [];
    const from = upperBound(msgs, after);
    return msgs.slice(from, from + limit).map(wire);
  }

  /** Up to `limit` messages with seq below `before`, descending (newest first). */
  before(user: string, before: number, limit: number): StoredMessage[] {
    const msgs = this.inboxes.get(user)?.msgs ?? [];
    const to = lowerBound(msgs, before);
    return msgs
      .slice(Math.max(0, to - limit), to)
      .reverse()
      .map(wire);
  }

  /** Messages with seq in `from+1 … upTo`, ascending. */
  range(user: string, from: number, upTo: number): MessageRecord[] {
    const msgs = this.inboxes.get(user)?.msgs ?? [];
    return msgs.slice(upperBound(msgs, from), upperBound(msgs, upTo));
  }

  rangeWire(user: string, from: number, upTo: number): StoredMessage[] {
    return this.range(user, from, upTo).map(wire);
  }
}
