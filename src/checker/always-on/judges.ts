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

export class AlwaysOnJudges {
  private readonly judges: AlwaysOnJudge[];
  /** Frame type or event kind → the judges that read it, in rule order. */
  private readonly readers = new Map<string, AlwaysOnJudge[]>();
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
  }

  /** Event `i` of the history, in order. */
  event(e: HistoryEvent, i: number): void {
    this.count = i + 1;
    const list = this.readers.get(e.kind === 'frame' ? (e.type ?? '') : e.kind) ?? NONE;
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
