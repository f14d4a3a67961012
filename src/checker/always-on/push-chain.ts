/**
 * SEQ-4 and REPUSH-3, from every msg:N: a push carries `prevSeq` below its `seq`, the same
 * `prevSeq` for a seq each time it is pushed; and `attempt` counts the pushes of one message on
 * one connection (1, then 2, 3, …), so a receiver can tell a re-push from a first push.
 * Connections the fault proxy touched are skipped for REPUSH-3: a proxy copy repeats an attempt.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { Column } from '../tables.js';
import { type KeyTable, type MessageIndex, UNSET } from './message-index.js';
import { SeqChain } from './seq-chain.js';
import {
  type AlwaysOnJudge,
  type AlwaysOnRule,
  Faulted,
  Flagged,
  num,
  PerConn,
  type Report,
  str,
} from './types.js';

/**
 * One connection's pushes. A message's attempts are kept in the shared index's smid columns for
 * the first open connection it is pushed on (the usual case: one device, one connection); only a
 * message pushed on a second connection at once (multi-device) gets entries here: smid → the
 * index of its first push on this connection (insertion order is birth order), and its last attempt.
 */
interface ConnPushes {
  /** A number for the connection, never reused. */
  id: number;
  /** Its first push's event index. */
  first: number;
  born: Map<string, number>;
  attempts: Map<string, number>;
}

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class PushChainJudge implements AlwaysOnJudge {
  private readonly faulted = new Faulted();
  // Per inbox: seq → its first push, in a dense array (seqs are contiguous on a correct server).
  private readonly chains = new Map<string | undefined, SeqChain>();
  private lastTo: string | undefined;
  private lastChain: SeqChain | undefined;
  private readonly conns = new PerConn<ConnPushes>();
  private nextConn = 0;
  /** Per connection number: whether it is still open (a closed one's pushes are forgotten). */
  private readonly open: boolean[] = [];
  // Per smid: the connection number its attempts are counted for here, and its last attempt.
  private readonly smids: KeyTable;
  private readonly pushConn: Column;
  private readonly pushAttempt: Column;
  private readonly flagged = new Flagged();

  constructor(
    private readonly report: Report,
    private readonly index: MessageIndex,
  ) {
    this.smids = index.smids;
    this.pushConn = this.smids.column(UNSET);
    this.pushAttempt = this.smids.column(0);
  }

  event(e: HistoryEvent, i: number): void {
    this.faulted.note(e);
    if (e.kind === 'close') {
      const pushes = this.conns.get(e.actor, e.conn);
      if (pushes !== undefined) this.open[pushes.id] = false;
      this.conns.delete(e.actor, e.conn);
      return;
    }
    if (e.kind !== 'frame' || e.dir !== 'in' || e.type !== 'msg:N') return;
    const f = e.fields;
    const seq = num(f['seq']);
    const smid = str(f['smid']);
    if (seq === undefined || smid === undefined) return;
    const prev = num(f['prevSeq']);
    const to = str(f['to']);
    if (prev === undefined || prev >= seq) {
      if (this.flagged.first(`p${to}\u0000${seq}`))
        this.report({
          kind: 'assertion',
          requirement: 'SEQ-4',
          expected: `msg:N seq ${seq} carries prevSeq below it`,
          actual: `${e.actor} got prevSeq ${String(f['prevSeq'])}`,
          evidence: [i],
          smid,
        });
    } else {
      const chain = this.chainOf(to);
      const born = chain.born(seq);
      if (born < 0) chain.add(seq, prev, i);
      else {
        const first = chain.prev(seq);
        if (first !== prev && this.flagged.first(`c${to}\u0000${seq}`))
          this.report({
            kind: 'assertion',
            requirement: 'SEQ-4',
            expected: `seq ${seq} has one previous seq (${first}) in every push`,
            actual: `${e.actor} got prevSeq ${prev}`,
            evidence: [born, i],
            smid,
          });
      }
    }
    if (this.faulted.has(e.actor)) return;
    let pushes = this.conns.get(e.actor, e.conn);
    if (pushes === undefined) {
      pushes = { id: this.nextConn++, first: i, born: new Map(), attempts: new Map() };
      this.open[pushes.id] = true;
      this.conns.add(e.actor, e.conn, pushes);
    }
    const attempt = num(f['attempt']) ?? 1;
    const slot = this.smids.slot(smid, '', i);
    const owner = this.pushConn.get(slot);
    let seen: boolean;
    let last: number;
    // Counted in the index's columns when this connection holds them, or they are free (no
    // connection, or a closed one: its count is over) and this one has no count of its own.
    const mine =
      owner === pushes.id ||
      ((owner === UNSET || !this.open[owner]) && !(pushes.born.size > 0 && pushes.born.has(smid)));
    if (mine) {
      seen = owner === pushes.id;
      last = seen ? this.pushAttempt.get(slot) : 0;
      this.pushConn.set(slot, pushes.id);
      this.pushAttempt.set(slot, attempt);
    } else {
      seen = pushes.born.has(smid);
      last = seen ? (pushes.attempts.get(smid) ?? 1) : 0;
      if (!seen) pushes.born.set(smid, i);
      if (attempt !== 1) pushes.attempts.set(smid, attempt);
      else if (seen) pushes.attempts.delete(smid);
    }
    const expected = seen ? last + 1 : 1;
    // A first sighting on a connection that pushed before the latest forget may be a re-push
    // of a forgotten one.
    if (attempt === expected || (!seen && pushes.first < this.index.forgetAt)) return;
    if (!this.flagged.first(`a${e.actor}\u0000${e.conn}\u0000${smid}`)) return;
    this.report({
      kind: 'assertion',
      requirement: 'REPUSH-3',
      expected: `push ${expected} of smid ${smid} on ${e.actor} conn ${e.conn} says attempt ${expected}`,
      actual: `it says attempt ${attempt}`,
      evidence: [i],
      smid,
    });
  }

  forget(floor: number): void {
    for (const chain of this.chains.values()) chain.forget(floor);
    // Insertion order is birth order: each walk stops at the first entry still alive.
    for (const pushes of this.conns.values()) {
      for (const [smid, born] of pushes.born) {
        if (born >= floor) break;
        pushes.born.delete(smid);
        pushes.attempts.delete(smid);
      }
    }
  }

  private chainOf(to: string | undefined): SeqChain {
    if (to === this.lastTo && this.lastChain !== undefined) return this.lastChain;
    let chain = this.chains.get(to);
    if (chain === undefined) {
      chain = new SeqChain(this.index.arena);
      this.chains.set(to, chain);
    }
    this.lastTo = to;
    this.lastChain = chain;
    return chain;
  }
}

export const pushChain: AlwaysOnRule = {
  name: 'push-chain',
  requirements: ['SEQ-4', 'REPUSH-3'],
  reads: ['fault', 'close', 'msg:N'],
  start(report, _read, index) {
    return new PushChainJudge(report, index);
  },
};
