/**
 * DEDUP-5 from what the server advertises: every hello:A carries `limits.dedupWindowMs`, so a
 * window under 24 hours is visible in any history, not only in the case written for it.
 */

import type { HistoryEvent } from '../../history/events.js';
import { type AlwaysOnJudge, type AlwaysOnRule, num, type Report } from './types.js';

/** DEDUP-5: at least 24 hours. */
export const MIN_DEDUP_WINDOW_MS = 86_400_000;

/**
 * A class, not an object of closures made per run: V8 keeps optimized code per function, and a
 * closure made by each check() is a new function whose code is recompiled after a full
 * collection; a prototype method is one function for every run.
 */
class AdvertisedLimitsJudge implements AlwaysOnJudge {
  // One server, one window: once is enough (and the judge keeps nothing else).
  private reported = false;

  constructor(private readonly report: Report) {}

  event(e: HistoryEvent, i: number): void {
    if (this.reported || e.kind !== 'frame' || e.dir !== 'in' || e.type !== 'hello:A') return;
    const limits = e.fields['limits'];
    if (typeof limits !== 'object' || limits === null) return;
    const window = num((limits as Record<string, unknown>)['dedupWindowMs']);
    if (window === undefined || window >= MIN_DEDUP_WINDOW_MS) return;
    this.reported = true;
    this.report({
      kind: 'assertion',
      requirement: 'DEDUP-5',
      expected: `limits.dedupWindowMs ≥ ${MIN_DEDUP_WINDOW_MS} (24 h)`,
      actual: `${e.actor} hello:A advertises ${window}`,
      evidence: [i],
    });
  }

  forget(): void {}
}

export const advertisedLimits: AlwaysOnRule = {
  name: 'advertised-limits',
  requirements: ['DEDUP-5'],
  reads: ['hello:A'],
  start(report) {
    return new AdvertisedLimitsJudge(report);
  },
};
