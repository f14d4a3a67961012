/**
 * The checker's rules beyond the ledger's own pass, in the order they judge. A rule is one small
 * module: it may look at every event after the ledger took it in (`event`), judge what became
 * final when a streaming ledger retires settled messages (`retire`), and judge what needs the
 * whole run (`end`). The case checker, the streaming ledger and the passive check all run this
 * one list, so a rule lives in one place and its requirement ids are the same everywhere.
 *
 * Adding a rule: write the module, add one line here.
 */

import type { HistoryEvent } from '../history/events.js';
import { alwaysOnEvent, alwaysOnRetire } from './always-on/engine-rule.js';
import type { Scan } from './context.js';
import { judgeOrder } from './order.js';
import { judgePageHoles } from './pages.js';
import { judgeDeferredReceipts, judgeResentReceipts } from './receipt-verdicts.js';
import { judgeRepush, trackRepush } from './repush.js';
import { judgeSilence } from './requests.js';
import { judgeHoles, judgeMessages, judgeReaccepts } from './verdicts.js';

export interface Rule {
  /** A short name (kebab-case), for errors and docs. */
  readonly name: string;
  /** Every event, after the ledger's pass took it in (so the ledger's state is current). */
  event?(s: Scan, e: HistoryEvent, i: number): void;
  /**
   * A streaming ledger is about to forget messages below `s.l.msgs.base`'s new value `base`:
   * judge now what involves them. `s.endT` is the retirement's "now".
   */
  retire?(s: Scan, base: number): void;
  /** Once, at the end of the run, in list order. */
  end?(s: Scan): void;
}

export const RULES: readonly Rule[] = [
  // docs/always-on.md: the small judges of src/checker/always-on/, on every event of every run.
  { name: 'always-on', event: alwaysOnEvent, retire: alwaysOnRetire },
  { name: 'requests', end: judgeSilence },
  { name: 'repush', event: trackRepush, end: judgeRepush },
  { name: 'order', end: judgeOrder },
  { name: 'sync-pages', end: judgePageHoles },
  { name: 'messages', end: judgeMessages },
  { name: 'resent-receipts', end: judgeResentReceipts },
  { name: 'deferred-receipts', end: judgeDeferredReceipts, retire: judgeDeferredReceipts },
  { name: 'reaccepts', end: judgeReaccepts, retire: judgeReaccepts },
  { name: 'seq-holes', end: judgeHoles },
];
