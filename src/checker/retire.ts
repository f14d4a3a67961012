/**
 * Retirement: the streaming ledger judges messages whose verdict can no longer change and forgets
 * them, so its memory follows the messages in flight, not the run's length. A message is judged
 * (judgeMessage: the same end verdicts as the case checker's, with the retirement's "now" as the
 * end) once it has been quiet — no request, answer, push, commit or receipt — for two graces (it
 * had every chance to arrive, be re-pushed and receipted) and either it is delivered, its receiver
 * has a device connected (so a missing commit is the server's), or it is older than maxAgeMs.
 *
 * Messages are forgotten in id order (the order the ledger first heard of them): one still in
 * flight holds back the ones after it, so what is held is bounded by the age of the oldest message
 * in flight. Rules with a `retire` hook judge what involves the forgotten messages first.
 */

import { graceOf, type Scan } from './context.js';
import { DEFAULT_GRACE_MS } from './engine.js';
import type { Ints } from './ints.js';
import { msgCmid, msgReceiver, storedSmid } from './msg-reads.js';
import { RULES } from './rules.js';
import { actorOf, forgetStrays, RetiredKeys, userMsg } from './state.js';
import { JUDGED, OWN_KEY, SENT, SETTLED } from './tables.js';
import { judgeMessage } from './verdicts.js';

export interface RetireOptions {
  /** Judge a message whose receiver never came back this long after it was sent. */
  maxAgeMs: number;
}

/** The latest thing that happened to message m (NaN parts, forgotten events, are skipped). */
function lastActivity(s: Scan, m: number): number {
  const t = s.l.msgs;
  const log = s.l.log;
  // One read after another, not a loop over an array of them: that array was allocated per
  // message retired (about 20 B a message of the ledger's own garbage on 300k messages).
  let last = log.t(t.originIdx.get(m));
  last = later(last, log.t(t.lastR(m)));
  last = later(last, log.t(t.acceptIdx.get(m)));
  last = later(last, log.t(t.commitIdx.get(m)));
  last = later(last, log.t(t.storedRcptIdx.get(m)));
  return later(last, log.t(t.deliveredRcptIdx.get(m)));
}

/**
 * `at` when it is later than `last` (a NaN `at`, a forgotten event, never is). Not Math.max: a NaN
 * part must be skipped, not win.
 */
function later(last: number, at: number): number {
  if (at > last) return at;
  return last;
}

function ready(s: Scan, m: number, now: number, quietMs: number, maxAgeMs: number): boolean {
  const t = s.l.msgs;
  const log = s.l.log;
  const born = log.t(t.originIdx.get(m));
  if (now - born >= maxAgeMs) return true;
  if (now - lastActivity(s, m) < quietMs) return false;
  if (t.delivered(m) || t.acceptIdx.get(m) < 0) return true;
  // Accepted, not delivered: judge it only once the receiver is back (or it is too old).
  const receiver = msgReceiver(s.l, m);
  return receiver === undefined || receiver.connected > 0;
}

/**
 * How long a message must have been quiet to be judged: two graces (it had every chance to
 * arrive, be re-pushed and receipted) and the settle time. Exported for the load bench's
 * keep-the-events baseline, which holds events as long as the ledger does.
 */
export function quietFor(graceMs: number, settleMs: number): number {
  return 2 * graceMs + settleMs;
}

/**
 * Judges and forgets what has settled by history time `now`. Returns how many of the forgotten
 * messages were sent and had not settled (lost, unknown outcome, too old): out of flight too.
 */
export function retire(s: Scan, now: number, options: RetireOptions): number {
  const l = s.l;
  const t = l.msgs;
  const quietMs = quietFor(graceOf(s, DEFAULT_GRACE_MS), s.settleMs);
  l.retired ??= new RetiredKeys(65_536);
  let unsettled = 0;
  s.endT = now;
  try {
    let base = t.base;
    while (base < t.size) {
      if (!t.has(base, JUDGED)) {
        if (!ready(s, base, now, quietMs, options.maxAgeMs)) break;
        judgeMessage(s, base);
      }
      base++;
    }
    if (base === t.base) return 0;
    for (let m = t.base; m < base; m++) if (t.has(m, SENT) && !t.has(m, SETTLED)) unsettled++;
    // Before the rules' hooks: the always-on one forgets these messages' keys (state.ts index).
    rememberKeys(s, base);
    for (const rule of RULES) rule.retire?.(s, base);
    forget(s, base);
    // What SEQ-1 asks of a device's past ("what had it seen by endT − grace") lies within two
    // quiet periods of now: older steps go (the last one before that window stays).
    trimSteps(s, now - 2 * quietMs);
    return unsettled;
  } finally {
    s.endT = Number.POSITIVE_INFINITY;
  }
}

/** The (sender, cmid) keys of the messages below `base`, kept to tell a late echo from a stranger. */
function rememberKeys(s: Scan, base: number): void {
  const l = s.l;
  const t = l.msgs;
  for (let m = t.base; m < base; m++) {
    const origin = l.log.at(t.originIdx.get(m)) as { actor?: string };
    const cmid = msgCmid(l, m);
    if (origin.actor === undefined || cmid === undefined) continue;
    const user = actorOf(l, origin.actor).user;
    // A message born with its key's slot is that key's message (the slot lives as long as it):
    // only a stray's key is looked up. Why: that lookup was a random read of the 1M-bucket key
    // table per message retired, ~1.5% of the ledger's CPU samples on 1M messages.
    const own = t.has(m, OWN_KEY);
    if (own || userMsg(l, user, cmid) === m) l.retired!.add(user.name, cmid);
  }
}

/** Drops messages below `base`, their stored copies and the events nothing alive needs. */
function forget(s: Scan, base: number): void {
  const l = s.l;
  const t = l.msgs;
  // Their keys' slots went with the always-on rule's retire hook (born before base's origin).
  forgetStrays(l, base);
  t.retire(base);
  // Stored copies go with their message; copies of no bot's message go as they are passed.
  const st = l.stored;
  let sb = st.base;
  // bySmid holds only smids that are not a message's first (empty on a healthy run): only then is
  // each copy's smid read back from its event (a cold read per copy) and looked up. Measured:
  // that read and lookup were ~0.3% of the ledger's CPU samples on 1M messages.
  const bySmid = l.bySmid;
  while (sb < st.size && st.msg.get(sb) < base) {
    if (bySmid.size > 0) {
      const smid = storedSmid(l, sb);
      if (smid !== undefined && bySmid.get(smid) === sb) bySmid.delete(smid);
    }
    sb++;
  }
  st.retire(sb);
  for (const user of l.users.values()) {
    user.seqs.compact(sb);
    // ORDER-1's per-pair lists lose their forgotten front (a forgotten id reads as nothing
    // known, so judgePair skipped them anyway); a pair with nothing left goes.
    if (user.pairs === undefined) continue;
    for (const [to, pair] of user.pairs) {
      trimFront(pair.byRequest, base);
      trimFront(pair.byAccept, base);
      if (pair.byRequest.size === 0 && pair.byAccept.size === 0) {
        user.pairs.delete(to);
        if (user.lastPair === pair) {
          user.lastPair = undefined;
          user.lastPairTo = undefined;
        }
      }
    }
  }
  // Nothing alive refers to an event older than the oldest live message or stored copy.
  let floor = l.log.count;
  if (t.base < t.size) floor = Math.min(floor, t.originIdx.get(t.base));
  if (sb < st.size) floor = Math.min(floor, st.originIdx.get(sb));
  l.log.dropBelow(floor);
}

/** Drops the leading message ids below `base` (ids are roughly in order: what is left is bounded by what is in flight). */
function trimFront(ids: Ints, base: number): void {
  let k = ids.start;
  while (k < ids.length && ids.get(k) < base) k++;
  ids.drop(k);
}

/** Drops each device's seen-max steps older than `from`, keeping the last step before it. */
function trimSteps(s: Scan, from: number): void {
  for (const actor of s.l.actors.values()) {
    const steps = actor.maxSteps;
    let k = 0;
    while (k + 2 < steps.length && steps[k + 2]! < from) k += 2;
    if (k > 0) steps.splice(0, k);
  }
}
