/**
 * One run's always-on judges: their shared message index (message-index.ts) and a dispatch table
 * from what an event is (a frame's type, else the event's kind) to the judges that read it. The
 * checker's engine (engine-rule.ts), the monitor (src/monitor/always-on-watch.ts) and
 * `judgeAlwaysOn` all run the rules through it, so every caller feeds and forgets them the same way.
 */

import type { HistoryEvent } from '../../history/events.js';
import { MessageIndex } from './message-index.js';
import type { AlwaysOnJudge, AlwaysOnRule, ReadEvent, Report } from './types.js';

const NONE: readonly AlwaysOnJudge[] = [];

/** How many places commonSlot hands out. */
const COMMON = 8;

/**
 * The place in `AlwaysOnJudges.common` of the reader list of a kind of event most of a run is made
 * of (a clean message is these eight), or -1. Why a switch: a Map lookup by the type string on
 * every event (about ten a message) was a third of check()'s Map lookups; the other kinds still
 * go through the Map.
 */
function commonSlot(what: string): number {
  switch (what) {
    case 'msg:R':
      return 0;
    case 'msg:A':
      return 1;
    case 'msg:N':
      return 2;
    case 'ack:R':
      return 3;
    case 'ack:A':
      return 4;
    case 'ack:N':
      return 5;
    case 'send':
      return 6;
    case 'commit':
      return 7;
    default:
      return -1;
  }
}

export class AlwaysOnJudges {
  private readonly judges: AlwaysOnJudge[];
  /** Frame type or event kind → the judges that read it, in rule order. */
  private readonly readers = new Map<string, AlwaysOnJudge[]>();
  /** The lists of the common kinds (commonSlot), also in `readers`. */
  private readonly common: (readonly AlwaysOnJudge[])[] = new Array<readonly AlwaysOnJudge[]>(COMMON).fill(
    NONE,
  );
  /** One past the newest event index seen. */
  private count = 0;

  /** `index`: the checker's engine passes the one its ledger keeps its message keys in (state.ts). */
  constructor(
    rules: readonly AlwaysOnRule[],
    report: Report,
    read: ReadEvent,
    readonly index = new MessageIndex(),
  ) {
    this.judges = rules.map((rule) => {
      const judge = rule.start(report, read, this.index);
      for (const what of rule.reads) {
        let list = this.readers.get(what);
        if (list === undefined) {
          list = [];
          this.readers.set(what, list);
        }
        list.push(judge);
      }
      return judge;
    });
    for (const [what, list] of this.readers) {
      const k = commonSlot(what);
      if (k >= 0) this.common[k] = list;
    }
  }

  /** Event `i` of the history, in order. */
  event(e: HistoryEvent, i: number): void {
    this.count = i + 1;
    const what = e.kind === 'frame' ? (e.type ?? '') : e.kind;
    const k = commonSlot(what);
    const list = k >= 0 ? this.common[k]! : (this.readers.get(what) ?? NONE);
    for (let k = 0; k < list.length; k++) list[k]!.event(e, i);
  }

  /** What was born before event `floor` is forgotten: the index's keys, then each judge's own. */
  forget(floor: number): void {
    this.index.forget(floor, this.count);
    for (const judge of this.judges) judge.forget(floor);
  }
}

/** The whole of `events` through fresh judges of `rules` (tests, and callers holding a full history). */
export function judgeHistory(
  rules: readonly AlwaysOnRule[],
  events: readonly HistoryEvent[],
  report: Report,
): void {
  const judges = new AlwaysOnJudges(rules, report, (i) => events[i]!);
  for (let i = 0; i < events.length; i++) judges.event(events[i]!, i);
}
