/**
 * Always-on rules: small pure judges that run on every history (case, explore, load, monitor),
 * whatever the case covers. Each reads the history once and reports through `report`; none
 * keeps anything beyond maps keyed by message or connection, so each stays linear.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { FindingInput } from '../findings.js';

export type Report = (finding: FindingInput) => void;

export interface AlwaysOnRule {
  /** kebab-case name, shown in docs/always-on.md. */
  name: string;
  /** The requirement ids it judges. */
  requirements: readonly string[];
  judge(events: readonly HistoryEvent[], report: Report): void;
}

/** "alice/phone" → "alice". */
export function userOf(actor: string): string {
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** True when a proxy fault (duplicate, delay, reorder, corrupt) may explain odd inbound frames of `actor`. */
export function faultedActors(events: readonly HistoryEvent[]): Set<string> {
  const out = new Set<string>();
  let all = false;
  for (const e of events) {
    if (e.kind !== 'fault') continue;
    if (e.actor === undefined) all = true;
    else out.add(e.actor);
  }
  if (all) out.add('*');
  return out;
}
