/**
 * The checker: history in, findings and stats out. Pure (no I/O, no clock) and linear in the
 * history: one pass builds the ledger, then end passes judge what needs the whole run.
 */

import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import type { Scan } from './context.js';
import { FaultIndex } from './fault-index.js';
import { FindingSink } from './findings.js';
import { judgeOrder } from './order.js';
import { judgePageHoles } from './pages.js';
import { judgePreconditions } from './preconditions.js';
import { judgeRepush } from './repush.js';
import { judgeSilence } from './requests.js';
import { scan } from './scan.js';
import { ActorState, newLedger, UserState } from './state.js';
import { finishStats } from './stats.js';
import type { CheckContext, CheckResult } from './types.js';
import {
  judgeDeferredReceipts,
  judgeHoles,
  judgeMessages,
  judgeReaccepts,
  judgeResentReceipts,
} from './verdicts.js';

/** @see CheckContext.settleMs */
export const DEFAULT_SETTLE_MS = 250;
/** @see CheckContext.graceMs (the floor) */
export const DEFAULT_GRACE_MS = 2000;
/** @see CheckContext.maxFindingsPerRule */
export const DEFAULT_MAX_FINDINGS_PER_RULE = 50;

/**
 * Where the case ended. The runner stops every bot after the case, which appends a run of client
 * closes (and frames still in flight): those connections were up when the case ended, so the
 * checker must not read the teardown as devices going offline.
 */
function findEnd(
  events: readonly HistoryEvent[],
  endT: number | undefined,
): { endT: number; teardownFrom: number } {
  const n = events.length;
  if (endT !== undefined) {
    let k = n;
    while (k > 0 && events[k - 1]!.t >= endT) k--;
    return { endT, teardownFrom: k };
  }
  let k = n;
  let firstClose = n;
  while (k > 0) {
    const e = events[k - 1]!;
    if (e.kind === 'close' && e.initiator === 'client') firstClose = k - 1;
    else if (!(e.kind === 'frame' && e.dir === 'in') && e.kind !== 'receipt' && e.kind !== 'dedup') break;
    k--;
  }
  const last = n === 0 ? 0 : events[n - 1]!.t;
  return { endT: firstClose < n ? events[firstClose]!.t : last, teardownFrom: firstClose };
}

export function check(events: readonly HistoryEvent[], ctx: CheckContext): CheckResult {
  const l = newLedger(events);
  // A clean exchange is eight events per message: sized for that, the columns never double.
  l.msgs.reserve(events.length >> 3);
  l.stored.reserve(events.length >> 3);
  for (const [name, devices] of Object.entries(ctx.users)) {
    const user = new UserState(name, true);
    l.users.set(name, user);
    for (const device of devices) {
      const actor = new ActorState(`${name}/${device}`, user, true);
      user.devices.push(actor);
      l.actors.set(actor.id, actor);
    }
  }
  const caps = new Set<Cap>(ctx.caps);
  const end = findEnd(events, ctx.endT);
  const s: Scan = {
    l,
    sink: new FindingSink(caps, ctx.maxFindingsPerRule ?? DEFAULT_MAX_FINDINGS_PER_RULE),
    faults: new FaultIndex(),
    caps,
    expect: ctx.expect,
    severity: ctx.severity ?? 'MUST',
    settleMs: ctx.settleMs ?? DEFAULT_SETTLE_MS,
    endT: end.endT,
    teardownFrom: end.teardownFrom,
    graceMs: ctx.graceMs ?? DEFAULT_GRACE_MS,
    pageHoles: [],
    deferredReceipts: [],
    reaccepts: [],
  };
  scan(s);
  // A re-push comes repushMs after a lost push, so "had time" is at least two of them.
  if (ctx.graceMs === undefined) s.graceMs = Math.max(DEFAULT_GRACE_MS, 2 * l.maxRepushMs);

  judgeSilence(s);
  judgeRepush(s);
  judgeOrder(s);
  judgePageHoles(s);
  const counts = judgeMessages(s);
  judgeResentReceipts(s);
  judgeDeferredReceipts(s);
  const reaccepts = judgeReaccepts(s);
  judgeHoles(s);
  const stats = finishStats(s, counts, reaccepts);
  const unmet = judgePreconditions(s, ctx.preconditions ?? []);
  return { findings: s.sink.result(), stats, unmet };
}
