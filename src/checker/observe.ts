/**
 * Every time a device sees a stored message — in a push, a sync page or its own commit — the
 * observation is checked against everything seen before: a message keeps its smid, seq, cmid,
 * from and body everywhere (SEQ-3), and one inbox never gives one seq to two messages (SEQ-2).
 */

import type { Scan } from './context.js';
import { type ActorState, findMsg, Stored } from './state.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Records what `actor` saw. Returns the stored message, or undefined when the fields are unusable. */
export function observe(
  s: Scan,
  actor: ActorState,
  f: Record<string, unknown>,
  i: number,
  t: number,
): Stored | undefined {
  const smid = f['smid'];
  if (typeof smid !== 'string') return undefined;
  const l = s.l;
  const seqValue = f['seq'];
  const seq = typeof seqValue === 'number' && Number.isSafeInteger(seqValue) ? seqValue : undefined;
  let st = l.bySmid.get(smid);
  if (!st) {
    st = new Stored(smid, findMsg(l, f['from'], f['cmid']));
    l.bySmid.set(smid, st);
    if (st.msg && !st.msg.stored) st.msg.stored = st;
  }
  if (st.obsIdx < 0) {
    st.obsIdx = i;
    st.cmid = str(f['cmid']);
    st.from = str(f['from']);
    st.to = str(f['to']);
    st.body = str(f['body']);
    if (!st.msg) {
      st.msg = findMsg(l, st.from, st.cmid);
      if (st.msg && !st.msg.stored) st.msg.stored = st;
    }
  } else if (
    !st.inconsistent &&
    ((f['cmid'] !== undefined && f['cmid'] !== st.cmid) ||
      (f['from'] !== undefined && f['from'] !== st.from) ||
      (f['body'] !== undefined && f['body'] !== st.body) ||
      (f['to'] !== undefined && st.to !== undefined && f['to'] !== st.to))
  ) {
    st.inconsistent = true;
    s.sink.add({
      kind: 'unexpected-message',
      requirement: 'SEQ-3',
      expected: `smid ${smid} with the cmid, from and body it was first seen with`,
      actual: `${actor.id} saw it with different content`,
      evidence: [st.obsIdx, i],
      cmid: st.cmid,
      smid,
    });
  }
  if (seq === undefined) return st;

  const user = actor.user;
  if (st.seq === undefined) {
    st.seq = seq;
    st.seqIdx = i;
    // Acked (cumulatively) before this device's view of it arrived: the receipt clock starts now.
    if (seq <= user.ackConfirmed && Number.isNaN(st.ackConfT)) {
      st.ackConfT = t;
      st.ackConfIdx = i;
    }
  } else if (st.seq !== seq && !st.inconsistent) {
    st.inconsistent = true;
    s.sink.add({
      kind: 'unexpected-message',
      requirement: 'SEQ-3',
      expected: `smid ${smid} keeps seq ${st.seq} in every push, re-push and page`,
      actual: `${actor.id} saw it with seq ${seq}`,
      evidence: [st.seqIdx, i],
      cmid: st.cmid,
      smid,
    });
  }
  const other = user.seqs.get(seq);
  if (!other) {
    user.seqs.set(seq, st);
  } else if (other !== st && st.seq === seq && !user.reusedSeqs.has(seq)) {
    user.reusedSeqs.add(seq);
    s.sink.add({
      kind: 'seq-reuse',
      requirement: 'SEQ-2',
      expected: `seq ${seq} of ${user.name}'s inbox names one message`,
      actual: `seq ${seq} carries smid ${other.smid} and smid ${smid}`,
      evidence: [other.seqIdx, i],
      smid,
    });
  }
  if (seq > user.maxSeqKnown) user.maxSeqKnown = seq;
  if (seq > actor.seenMax) {
    actor.seenMax = seq;
    actor.maxSteps.push(t, seq);
  }
  return st;
}
