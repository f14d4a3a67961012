/**
 * Every time a device sees a stored message — in a push, a sync page or its own commit — the
 * observation is checked against everything seen before: a message keeps its smid, seq, cmid,
 * from and body everywhere (SEQ-3), and one inbox never gives one seq to two messages (SEQ-2).
 */

import type { Scan } from './context.js';
import { ackCovers } from './cursors.js';
import { recordAt, storedSmid } from './msg-reads.js';
import { type ActorState, findMsg, type Ledger } from './state.js';

/**
 * The stored id of `smid` (of message `msg`, or -1 when no bot's message is known for it), or -1.
 * A message's first smid is reached through the message itself — found by (from, cmid), which
 * every push, commit and receipt names — so the smid map only holds the rest: a retransmission
 * the server stored twice, or messages no bot sent. One map insert per message instead of two.
 */
export function findStored(l: Ledger, smid: string, msg: number): number {
  if (msg >= 0) {
    const primary = l.msgs.stored.get(msg);
    if (primary >= 0 && storedSmid(l, primary) === smid) return primary;
  }
  // Empty on a healthy run: a first smid is then found without a lookup that would miss.
  return l.bySmid.size === 0 ? -1 : (l.bySmid.get(smid) ?? -1);
}

/** Like findStored, but creates the stored message on first sight at event `idx` (page item `item`, or -1). */
export function storedOf(l: Ledger, smid: string, msg: number, idx: number, item: number): number {
  const found = findStored(l, smid, msg);
  if (found >= 0) {
    if (msg >= 0 && l.stored.msg.get(found) < 0) l.stored.msg.set(found, msg);
    return found;
  }
  const id = l.stored.add(msg, idx, item);
  if (msg >= 0 && l.msgs.stored.get(msg) < 0) l.msgs.stored.set(msg, id);
  else l.bySmid.set(smid, id);
  return id;
}

function differs(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && a !== b;
}

/**
 * Records what `actor` saw at event `i` (`item`: its index in a sync page, else -1). Returns the
 * stored id, or -1 when the fields are unusable.
 */
export function observe(
  s: Scan,
  actor: ActorState,
  f: Record<string, unknown>,
  i: number,
  item = -1,
): number {
  const smid = f['smid'];
  if (typeof smid !== 'string') return -1;
  const l = s.l;
  const table = l.stored;
  // A commit follows the push (or page) that brought the message: same smid, same stored id.
  let id: number;
  if (smid === actor.lastSmid) id = actor.lastStored;
  else {
    id = storedOf(l, smid, findMsg(l, f['from'], f['cmid']), i, item);
    actor.lastSmid = smid;
    actor.lastStored = id;
  }
  if (table.obsIdx.get(id) < 0) {
    table.obsIdx.set(id, i);
    if (item >= 0) table.obsItem.set(id, item);
    return seqOf(s, actor, id, f, i, smid);
  }
  const first = recordAt(l, table.obsIdx.get(id), table.obsItemOf(id));
  if (
    !table.inconsistent.has(id) &&
    (differs(f['cmid'], first['cmid']) ||
      differs(f['from'], first['from']) ||
      differs(f['body'], first['body']) ||
      differs(f['to'], first['to']))
  ) {
    table.inconsistent.add(id);
    s.sink.add({
      kind: 'unexpected-message',
      requirement: 'SEQ-3',
      expected: `smid ${smid} with the cmid, from and body it was first seen with`,
      actual: `${actor.id} saw it with different content`,
      evidence: [table.obsIdx.get(id), i],
      cmid: typeof first['cmid'] === 'string' ? first['cmid'] : undefined,
      smid,
    });
  }
  return seqOf(s, actor, id, f, i, smid);
}

/**
 * A server frame (a push, a sync page item) showed stored copy `id` at event `i`: when the copy
 * was first seen before the latest stop of the target, the first such frame after that stop is
 * kept — the copy survived the stop, whatever its first sighting says (DUR-1 vs DUR-3). A
 * commit is the device's own doing and proves nothing about the server's store.
 */
export function noteServerSighting(s: Scan, id: number, i: number): void {
  const stop = s.faults.lastStopIdx;
  const table = s.l.stored;
  if (stop < 0 || id < 0 || table.obsIdx.get(id) >= stop) return;
  if ((table.seenAfterStopIdx.get(id) ?? -1) < stop) table.seenAfterStopIdx.set(id, i);
}

/** The seq part of an observation: SEQ-3 (a message keeps its seq) and SEQ-2 (a seq, one message). */
function seqOf(
  s: Scan,
  actor: ActorState,
  id: number,
  f: Record<string, unknown>,
  i: number,
  smid: string,
): number {
  const table = s.l.stored;
  const seqValue = f['seq'];
  if (typeof seqValue !== 'number' || !Number.isSafeInteger(seqValue)) return id;
  const seq = seqValue;
  const user = actor.user;
  const known = table.seqOf(id);
  if (known === undefined) {
    table.setSeq(id, seq, i);
    // Acked (cumulatively) before this device's view of it arrived: the receipt clock starts now.
    if (table.ackConfIdx.get(id) < 0 && ackCovers(user, seq)) table.ackConfIdx.set(id, i);
  } else if (known !== seq && !table.inconsistent.has(id)) {
    table.inconsistent.add(id);
    s.sink.add({
      kind: 'unexpected-message',
      requirement: 'SEQ-3',
      expected: `smid ${smid} keeps seq ${known} in every push, re-push and page`,
      actual: `${actor.id} saw it with seq ${seq}`,
      evidence: [table.seqIdx(id), i],
      smid,
    });
  }
  const other = user.seqs.get(seq);
  if (other < 0) {
    user.seqs.set(seq, id);
  } else if (other < table.base) {
    // Its first owner was retired by the streaming ledger: what it was is forgotten.
    user.seqs.set(seq, id);
  } else if (
    other !== id &&
    table.seqOf(id) === seq &&
    !user.reuseReported(seq) &&
    // One smid under two records (a late echo of a message the streaming ledger split from its
    // first record) is the same message again, never a second one under the seq.
    storedSmid(s.l, other) !== smid
  ) {
    user.reportReuse(seq);
    s.sink.add({
      kind: 'seq-reuse',
      requirement: 'SEQ-2',
      expected: `seq ${seq} of ${user.name}'s inbox names one message`,
      actual: `seq ${seq} carries smid ${storedSmid(s.l, other)} and smid ${smid}`,
      evidence: [table.seqIdx(other), i],
      smid,
    });
  }
  if (seq > user.maxSeqKnown) user.maxSeqKnown = seq;
  if (seq > actor.seenMax) {
    actor.seenMax = seq;
    // Steps 50 ms apart are enough for "what had it seen by then" (SEQ-1, judged with a grace of
    // seconds): within one, the latest step just takes the new maximum.
    const t = s.l.log.at(i).t;
    const steps = actor.maxSteps;
    const n = steps.length;
    if (n >= 2 && t - steps[n - 2]! < 50) steps[n - 1] = seq;
    else steps.push(t, seq);
  }
  return id;
}
