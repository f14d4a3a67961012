/**
 * The case checker: history in, findings and stats out. Pure (no I/O, no clock) and linear in the
 * history: the engine takes every event once, then the end rules judge what needs the whole run.
 */

import type { HistoryEvent } from '../history/events.js';
import { Engine, type EngineEnd } from './engine.js';
import { EventLog } from './log.js';
import type { CheckContext, CheckResult } from './types.js';

export { DEFAULT_GRACE_MS, DEFAULT_MAX_FINDINGS_PER_RULE, DEFAULT_SETTLE_MS } from './engine.js';

/**
 * Where the case ended. The runner stops every bot after the case, which appends a run of client
 * closes (and frames still in flight): those connections were up when the case ended, so the
 * checker must not read the teardown as devices going offline.
 */
function findEnd(events: readonly HistoryEvent[], endT: number | undefined): EngineEnd {
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
  const engine = new Engine(ctx, new EventLog(events), findEnd(events, ctx.endT));
  // A clean exchange is eight events per message: sized for that, the columns never double.
  engine.s.l.msgs.reserve(events.length >> 3);
  engine.s.l.index.reserve(events.length >> 3);
  engine.s.l.stored.reserve(events.length >> 3);
  // An index loop: for…of went through the array iterator, an object per event.
  for (let k = 0; k < events.length; k++) engine.push(events[k]!);
  return engine.finish();
}
