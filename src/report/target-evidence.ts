/**
 * The target process's part in a case, for the reports of cases that did not pass: how often it
 * exited and came back (bounce counts, from the case history's `target` events) and what it last
 * wrote. A crash, a refusal or a lost account reads very differently next to "the server exited
 * twice" and the server's own last words, so every FAIL, WARN and ERROR carries them. Pure.
 */

import type { HistoryEvent } from '../history/events.js';
import type { TargetEvidence, Verdict } from './types.js';

/** Terminal colour and cursor sequences: servers colour their console (RabbitMQ does), reports don't. */
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Lines of the target's log a report keeps. */
export const LOG_TAIL_LINES = 15;

/** Verdicts whose reports carry the target evidence: everything but a pass or a skip. */
const NEEDS_EVIDENCE: ReadonlySet<Verdict> = new Set([
  'FAIL',
  'WARN',
  'ERROR',
  'FLAKY',
  'XFAIL',
  'INCONCLUSIVE',
]);

export function needsTargetEvidence(verdict: Verdict): boolean {
  return NEEDS_EVIDENCE.has(verdict);
}

export interface TargetEvidenceInput {
  events: readonly HistoryEvent[];
  /** What the target wrote during the case ('' for a target the kit does not control). */
  log: string;
  restartedBeforeCase: boolean;
}

export function targetEvidence(input: TargetEvidenceInput): TargetEvidence {
  let kills = 0;
  let crashes = 0;
  let restarts = 0;
  for (const e of input.events) {
    if (e.kind !== 'target') continue;
    if (e.action === 'kill' || e.action === 'term') kills++;
    else if (e.action === 'exited') crashes++;
    else if (e.action === 'restart') {
      restarts++;
      // `target: restart` is a stop and a start in one step; after a kill or term the restart
      // event says "same data" and its stop was counted already.
      if (e.detail === undefined) kills++;
    }
  }
  const evidence: TargetEvidence = {
    kills,
    crashes,
    restarts,
    restartedBeforeCase: input.restartedBeforeCase,
  };
  const lines = input.log
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  if (lines.length > 0) evidence.logTail = lines.slice(-LOG_TAIL_LINES);
  return evidence;
}

/** One line for consoles and tables: "exited 2× (1 crash), restarted 2×". */
export function bounceLine(e: TargetEvidence): string {
  const exits = e.kills + e.crashes;
  const parts = [
    exits === 0
      ? 'no exit'
      : `exited ${exits}× (${e.crashes === 0 ? 'all by the kit' : `${e.crashes} crash${e.crashes === 1 ? '' : 'es'}`})`,
    `restarted ${e.restarts}×`,
  ];
  if (e.restartedBeforeCase) parts.push('restarted before the case (it was down after the previous one)');
  return parts.join(', ');
}
