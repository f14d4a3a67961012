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

/** Events of the history a kept engine reads (see keepShapes): ~100 KB to a few MB. */
const KEPT_EVENTS = 4096;

/** The engine keepShapes holds for the life of the process, and how many events it took. */
let kept: { engine: Engine; events: number } | undefined;

/**
 * Keeps a small engine alive, run over the first events of a history (a copy: the caller's history
 * is not held), so the maps of the checker's objects outlive each check(). Why: V8 holds the maps
 * and objects its optimized code depends on weakly; once a check's ledger was collected, the next
 * full collection threw away nearly all of the checker's optimized code (`--trace-deopt`: ~330
 * "weak objects" deopts a check), and every check() warmed the JIT again. On the bench's 100k
 * messages with a full collection before each check, that was ~7.6 µs/message against ~4.2 with
 * none; a kept engine of 512 messages took it to ~6. Its result is dropped: it judges nothing.
 * A longer history replaces it (up to KEPT_EVENTS), so it meets more of the kinds of event a run has.
 */
function keepShapes(events: readonly HistoryEvent[], ctx: CheckContext): void {
  const n = Math.min(events.length, KEPT_EVENTS);
  // Replaced only by a history twice as long: a dozen runs at most in a process's life.
  if (kept !== undefined && n < 2 * kept.events) return;
  const prefix = events.slice(0, n);
  const engine = start(prefix, ctx);
  // Only a cache of shapes: should a cut-short history ever throw, the check itself still runs
  // (and throws, if it must, on the whole history as before).
  try {
    run(engine, prefix);
  } catch {
    return;
  }
  kept = { engine, events: n };
}

function start(events: readonly HistoryEvent[], ctx: CheckContext): Engine {
  const engine = new Engine(ctx, new EventLog(events), findEnd(events, ctx.endT));
  // A clean exchange is eight events per message: sized for that, the columns never double.
  engine.s.l.msgs.reserve(events.length >> 3);
  engine.s.l.index.reserve(events.length >> 3);
  engine.s.l.stored.reserve(events.length >> 3);
  return engine;
}

function run(engine: Engine, events: readonly HistoryEvent[]): CheckResult {
  // An index loop: for…of went through the array iterator, an object per event.
  for (let k = 0; k < events.length; k++) engine.push(events[k]!);
  return engine.finish();
}

export function check(events: readonly HistoryEvent[], ctx: CheckContext): CheckResult {
  // Before the check, not after: run after it, on a warmer JIT, it cost ~40 ms less CPU on a
  // process's first check, but the check's own closures were then the first its call sites met,
  // and the next full collection still threw away the code that inlined them (one more check()
  // at ~8 µs/message on the bench before the figures fell).
  keepShapes(events, ctx);
  return run(start(events, ctx), events);
}
