/**
 * Attaches the target's part (bounce counts, the end of its log) to a case result that did not
 * pass, when the kit launched the target (src/report/target-evidence.ts).
 */

import type { HistoryEvent } from '../history/events.js';
import { needsTargetEvidence, targetEvidence } from '../report/index.js';
import type { CaseResult } from '../report/types.js';
import type { Target } from './target.js';

export interface CaseTargetState {
  /** `target.logMark()` when the case began. */
  logMark: number;
  /** The kit started the shared target again before the case (it was down). */
  restartedBeforeCase: boolean;
}

/** Where a case begins on its target: restart a shared target that is down, mark its log. */
export async function beginCaseOnTarget(target: Target, shared: boolean): Promise<CaseTargetState> {
  const restartedBeforeCase = shared ? await target.ensureRunning() : false;
  return { logMark: target.logMark(), restartedBeforeCase };
}

export function withTargetEvidence(
  result: CaseResult,
  target: Target | undefined,
  state: CaseTargetState | undefined,
  events: readonly HistoryEvent[],
): CaseResult {
  if (!target?.controllable || !needsTargetEvidence(result.verdict)) return result;
  result.target = targetEvidence({
    events,
    log: target.logTail(state?.logMark ?? 0),
    restartedBeforeCase: state?.restartedBeforeCase ?? false,
  });
  return result;
}
