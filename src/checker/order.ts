/**
 * Ordering. ORDER-2: on one connection, first pushes come in increasing seq — tracked per
 * connection as pushes arrive, judged at the end (when we know whether the server marks
 * re-pushes with `attempt`, and whether a proxy duplicated or reordered frames there).
 * ORDER-1: from one sender to one receiver, a message whose msg:R went out after the msg:A of an
 * earlier one gets a higher seq — a two-pointer walk over the messages in request order and in
 * accept order, both of which the pass already produced in time order.
 */

import { connEnd, type Scan } from './context.js';
import { DUP, LOSS, ORDER } from './fault-index.js';
import type { Ints } from './ints.js';
import { msgCmid, storedSmid } from './msg-reads.js';
import type { ConnState, Order2Candidate } from './state.js';

export function trackFirstPush(s: Scan, conn: ConnState, seq: number, attempt: unknown, i: number): void {
  // REPUSH-3: `attempt` absent or 1 is a first push.
  if (attempt === undefined || attempt === 1) {
    if (seq <= conn.lastFirstSeq) {
      conn.order2 ??= [];
      conn.order2.push({ idx: i, prevIdx: conn.lastFirstIdx, seq, prevSeq: conn.lastFirstSeq });
    } else {
      conn.lastFirstSeq = seq;
      conn.lastFirstIdx = i;
    }
  }
  // A server that never sends `attempt` cannot be told apart from one re-pushing, so for it the
  // first arrival of each seq on the connection is its first push. Only kept until some push
  // shows `attempt`.
  if (s.l.attemptSeen) {
    conn.pushed = undefined;
    return;
  }
  conn.pushed ??= new Set();
  const pushed = conn.pushed;
  if (pushed.has(seq)) return;
  pushed.add(seq);
  if (seq < conn.lastNewSeq) {
    conn.order2New ??= [];
    conn.order2New.push({ idx: i, prevIdx: conn.lastNewIdx, seq, prevSeq: conn.lastNewSeq });
  } else {
    conn.lastNewSeq = seq;
    conn.lastNewIdx = i;
  }
}

export function judgeOrder(s: Scan): void {
  for (const actor of s.l.actors.values()) {
    for (const conn of actor.conns) {
      const candidates: Order2Candidate[] | undefined = s.l.attemptSeen ? conn.order2 : conn.order2New;
      if (!candidates) continue;
      // A proxy that duplicated, delayed or reordered frames (or, without `attempt`, dropped one
      // so a re-push looks first) on this connection explains an out-of-order first push.
      const mask = DUP | ORDER | (s.l.attemptSeen ? 0 : LOSS);
      if (s.faults.touching(actor.id, conn.openT, connEnd(s, conn), mask) >= 0) continue;
      for (const c of candidates) {
        s.sink.add({
          kind: 'order-violation',
          requirement: 'ORDER-2',
          expected: `first pushes on ${actor.id} conn ${conn.n} in increasing seq`,
          actual:
            c.seq === c.prevSeq
              ? `seq ${c.seq} was first-pushed twice`
              : `seq ${c.seq} was first-pushed after seq ${c.prevSeq}`,
          evidence: [c.prevIdx, c.idx],
        });
      }
    }
  }
  for (const user of s.l.users.values()) {
    if (user.pairs === undefined) continue;
    for (const [to, pair] of user.pairs) judgePair(s, user.name, to, pair.byRequest, pair.byAccept);
  }
}

/** ORDER-1 for one (sender, receiver) pair. */
function judgePair(s: Scan, from: string, to: string, byRequest: Ints, byAccept: Ints): void {
  const t = s.l.msgs;
  const st = s.l.stored;
  const seqOf = (m: number) => (t.stored.get(m) >= 0 ? st.seqOf(t.stored.get(m)) : undefined);
  const seqIdxOf = (m: number) => (t.stored.get(m) >= 0 ? st.seqIdx(t.stored.get(m)) : -1);
  let j = byAccept.start;
  let best = -1;
  let bestSeq = -1;
  for (let k = byRequest.start; k < byRequest.length; k++) {
    const m = byRequest.get(k);
    // Indexes are in time order: accepted before this message's first msg:R went out.
    while (j < byAccept.length && t.acceptIdx.get(byAccept.get(j)) < t.firstRIdx.get(m)) {
      const a = byAccept.get(j++);
      const seq = seqOf(a);
      if (seq !== undefined && seq > bestSeq) {
        bestSeq = seq;
        best = a;
      }
    }
    const seq = seqOf(m);
    if (seq === undefined || best < 0 || best === m || seq > bestSeq) continue;
    s.sink.add({
      kind: 'order-violation',
      requirement: 'ORDER-1',
      expected: `cmid ${msgCmid(s.l, m)}, sent after cmid ${msgCmid(s.l, best)} was accepted, gets a seq above ${bestSeq} in ${to}'s inbox`,
      actual: `it got seq ${seq} (from ${from})`,
      evidence: [t.acceptIdx.get(best), t.firstRIdx.get(m), seqIdxOf(best), seqIdxOf(m)],
      cmid: msgCmid(s.l, m),
      smid: t.stored.get(m) >= 0 ? storedSmid(s.l, t.stored.get(m)) : undefined,
    });
  }
}
