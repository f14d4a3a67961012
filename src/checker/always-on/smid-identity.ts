/**
 * MSG-2: every accepted message has its own smid. One smid given to two different messages —
 * two (sender, cmid) pairs — is a broken id: caught when dedup keys ignore the sender (a second
 * user's equal cmid answered with the first user's smid) or when a smid counter restarts.
 */

import type { FrameEvent, HistoryEvent } from '../../history/events.js';
import type { Column } from '../tables.js';
import { type KeyTable, type MessageIndex, UNSET } from './message-index.js';
import {
  type AlwaysOnJudge,
  type AlwaysOnRule,
  actorIsUser,
  PerConn,
  type ReadEvent,
  type Report,
  str,
} from './types.js';

/** One connection's msg:R frames waiting for their msg:A, in send order (answers mostly come in it). */
interface Pending {
  rids: unknown[];
  cmids: unknown[];
  idxs: number[];
  head: number;
  /** One past the newest (slots are reused: a drained queue starts over in the same arrays). */
  tail: number;
}

/** The oldest unanswered msg:R kept per connection: past it, its cmid is the msg:A's own. */
const MAX_PENDING = 1024;

const NONE = Symbol('none');

/** Takes the pending msg:R with `rid` (the head first, as the engine matches answers): its cmid, or NONE. */
function take(p: Pending, rid: unknown): unknown {
  let k = p.head;
  if (k >= p.tail) return NONE;
  if (p.rids[k] !== rid) {
    k = -1;
    for (let j = p.tail - 1; j > p.head; j--)
      if (p.rids[j] === rid) {
        k = j;
        break;
      }
    if (k < 0) return NONE;
  }
  const cmid = p.cmids[k];
  p.rids[k] = undefined;
  p.cmids[k] = undefined;
  // Answered ones at the head go; a drained queue starts over in the same arrays (emptying an
  // array frees its store, and the next push allocates one again: garbage per request).
  while (p.head < p.tail && p.rids[p.head] === undefined) p.head++;
  if (p.head === p.tail) {
    p.head = 0;
    p.tail = 0;
  }
  return cmid;
}

/** Where a claim was made, for the finding's text. */
function where(e: FrameEvent, item: Record<string, unknown> | undefined): string {
  if (item !== undefined) return `sync:A item seq ${String(item['seq'])}`;
  return e.type === 'msg:N' ? `msg:N seq ${String(e.fields['seq'])}` : 'msg:A';
}

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class SmidIdentityJudge implements AlwaysOnJudge {
  // Per smid of the shared index: the index of the event that first showed it (its ones'
  // complement once the one finding is made). Its (sender, cmid) are read back from that event:
  // a msg:A's sender is its actor's user and its cmid the request's (kept in `cmidOf` only when
  // the msg:A says another); a push's are its fields; a page item's sit in `items` (pages are rare).
  private readonly smids: KeyTable;
  private readonly owner: Column;
  private readonly cmidOf = new Map<number, string>();
  private readonly items = new Map<string, { from: string; cmid: string }>();
  private readonly pending = new PerConn<Pending>();

  constructor(
    private readonly report: Report,
    private readonly read: ReadEvent,
    private readonly index: MessageIndex,
  ) {
    this.smids = index.smids;
    const owner = this.smids.column(UNSET);
    this.owner = owner;
    const cmidOf = this.cmidOf;
    const items = this.items;
    this.smids.onDrop((slot, smid) => {
      const v = owner.get(slot);
      // Asked only when it holds anything: a Map delete per forgotten smid, on a run where no
      // msg:A said another cmid (every healthy one), was most of this judge's forget.
      if (v !== UNSET && cmidOf.size > 0) cmidOf.delete(v < 0 ? ~v : v);
      if (items.size > 0) items.delete(smid);
    });
  }

  event(e: HistoryEvent, i: number): void {
    if (e.kind !== 'frame' || e.type === undefined) return;
    const f = e.fields;
    if (e.dir === 'out') {
      const rid = f['rid'];
      if (e.type !== 'msg:R' || typeof rid !== 'string') return;
      let p = this.pending.get(e.actor, e.conn);
      if (p === undefined) {
        p = { rids: [], cmids: [], idxs: [], head: 0, tail: 0 };
        this.pending.add(e.actor, e.conn, p);
      }
      if (p.tail === p.rids.length && p.head >= p.rids.length / 2) {
        // Full with room below the head: slide the live part down instead of growing.
        let k = 0;
        for (let j = p.head; j < p.tail; j++, k++) {
          p.rids[k] = p.rids[j];
          p.cmids[k] = p.cmids[j];
          p.idxs[k] = p.idxs[j]!;
        }
        for (let j = k; j < p.tail; j++) {
          p.rids[j] = undefined;
          p.cmids[j] = undefined;
        }
        p.head = 0;
        p.tail = k;
      }
      p.rids[p.tail] = rid;
      p.cmids[p.tail] = f['cmid'];
      p.idxs[p.tail] = i;
      p.tail++;
      if (p.tail - p.head > MAX_PENDING) take(p, p.rids[p.head]);
      return;
    }
    if (e.type === 'msg:A') {
      const p = this.pending.get(e.actor, e.conn);
      const taken = p === undefined ? NONE : take(p, f['rid']);
      const cmid = taken !== NONE ? String(taken) : str(f['cmid']);
      const smid = str(f['smid']);
      const user = this.index.users.of(e.actor);
      this.claim(smid, user, cmid, e, i);
      // Tells the index which message this smid names, for the judges of its pushes and receipts.
      if (smid !== undefined && cmid !== undefined) this.index.link(smid, user, cmid);
    } else if (e.type === 'msg:N') {
      const from = str(f['from']);
      if (from !== undefined) this.claim(str(f['smid']), from, str(f['cmid']), e, i);
    } else if (e.type === 'sync:A' && Array.isArray(f['msgs'])) {
      for (const m of f['msgs'] as unknown[]) {
        if (typeof m !== 'object' || m === null) continue;
        const r = m as Record<string, unknown>;
        const from = str(r['from']);
        if (from !== undefined) this.claim(str(r['smid']), from, str(r['cmid']), e, i, r);
      }
    }
  }

  forget(floor: number): void {
    // The owners are the index's (a forgotten smid is claimed afresh by its next sighting:
    // absence is never a finding); what sits beside them goes with them (smids.onDrop in the constructor).
    for (const p of this.pending.values()) {
      while (p.head < p.tail && p.idxs[p.head]! < floor) take(p, p.rids[p.head]);
    }
  }

  /** The (sender, cmid) that event `idx` gave `smid`. */
  private ownerAt(smid: string, idx: number): { from: string; cmid: string } {
    const e = this.read(idx) as FrameEvent;
    if (e.type === 'msg:A') {
      return {
        from: this.index.users.of(e.actor),
        cmid: this.cmidOf.get(idx) ?? (e.fields['cmid'] as string),
      };
    }
    if (e.type === 'msg:N') return { from: e.fields['from'] as string, cmid: e.fields['cmid'] as string };
    return this.items.get(smid)!;
  }

  /** Whether event `idx` gave `smid` to (from, cmid); without allocating on the usual path. */
  private same(smid: string, idx: number, from: string, cmid: string): boolean {
    const e = this.read(idx) as FrameEvent;
    if (e.type === 'msg:A')
      return (
        actorIsUser(e.actor, from) &&
        // cmidOf is empty unless a msg:A said another cmid than its request: no lookup then.
        ((this.cmidOf.size > 0 ? this.cmidOf.get(idx) : undefined) ?? e.fields['cmid']) === cmid
      );
    if (e.type === 'msg:N') return e.fields['from'] === from && e.fields['cmid'] === cmid;
    const it = this.items.get(smid)!;
    return it.from === from && it.cmid === cmid;
  }

  private claim(
    smid: string | undefined,
    from: string,
    cmid: string | undefined,
    e: FrameEvent,
    i: number,
    /** A sync page item (`r`), else undefined. */
    r?: Record<string, unknown>,
  ): void {
    const item = r !== undefined;
    if (smid === undefined || cmid === undefined) return;
    const slot = this.smids.slot(smid, '', i);
    const first = this.owner.get(slot);
    if (first === UNSET) {
      this.owner.set(slot, i);
      if (item) this.items.set(smid, { from, cmid });
      else if (e.type === 'msg:A' && e.fields['cmid'] !== cmid) this.cmidOf.set(i, cmid);
      return;
    }
    if (first < 0 || this.same(smid, first, from, cmid)) return;
    this.owner.set(slot, ~first);
    const o = this.ownerAt(smid, first);
    this.report({
      kind: 'assertion',
      requirement: 'MSG-2',
      expected: `smid ${smid} names one message (${o.from}'s cmid ${o.cmid})`,
      actual: `${e.actor} ${where(e, r)} gives it to ${from}'s cmid ${cmid} too`,
      evidence: [first, i],
      cmid,
      smid,
    });
  }
}

export const smidIdentity: AlwaysOnRule = {
  name: 'smid-identity',
  requirements: ['MSG-2'],
  reads: ['msg:R', 'msg:A', 'msg:N', 'sync:A'],
  start(report, read, index) {
    return new SmidIdentityJudge(report, read, index);
  },
};
