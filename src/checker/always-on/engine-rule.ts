/**
 * The always-on rules as one rule of the checker's engine (src/checker/rules.ts): every event the
 * engine takes goes to the always-on judges that read it (judges.ts), findings go to the run's FindingSink (so caps that
 * are not claimed drop them, levels come from docs/protocol.md, and the streaming ledger copies
 * their evidence before it forgets events), and a streaming ledger's retirement tells the judges
 * what to forget. So the case checker, every monitor cycle and every load run judge them, in the
 * same single pass as the ledger's own rules.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { Scan } from '../context.js';
import { ALWAYS_ON_RULES } from './index.js';
import { AlwaysOnJudges } from './judges.js';

/**
 * The judges of each run. RULES is one static list shared by every engine, while a judge's state
 * belongs to one run: it lives on the run's Scan and goes when the engine does. The lookup stays
 * apart from the making: a function holding a closure over `s` allocates a context for `s` on
 * every call, taken or not (~40 B an event, a tenth of what the ledger allocated a message).
 */
function judges(s: Scan): AlwaysOnJudges {
  return s.alwaysOn ?? makeJudges(s);
}

function makeJudges(s: Scan): AlwaysOnJudges {
  const report = s.sink.add.bind(s.sink);
  // The ledger's message keys are the judges' (state.ts msgOf): one insert per message for both.
  const j = new AlwaysOnJudges(ALWAYS_ON_RULES, report, (i) => s.l.log.at(i), s.l.index);
  // As many messages as the ledger's own table was sized for (check() sizes it to the history).
  j.index.reserve(s.l.msgs.originIdx.a.length);
  s.alwaysOn = j;
  return j;
}

export function alwaysOnEvent(s: Scan, e: HistoryEvent, i: number): void {
  judges(s).event(e, i);
}

/**
 * Messages below `base` are about to be forgotten: so is everything a judge learnt before the
 * first event of the oldest message still held (the ledger's own events floor is no higher).
 */
export function alwaysOnRetire(s: Scan, base: number): void {
  const t = s.l.msgs;
  const floor = base < t.size ? t.originIdx.get(base) : s.l.log.count;
  judges(s).forget(floor);
}
