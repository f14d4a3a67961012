/**
 * Small reads over a scan that the end verdicts share: an event's time, the connection a frame
 * came on.
 */

import type { Scan } from './context.js';
import { actorOf, type ConnState } from './state.js';

/** The time of history event `idx`; NaN for none (a negative index). */
export function tOf(s: Scan, idx: number): number {
  return idx >= 0 ? s.l.log.at(idx).t : Number.NaN;
}

/** The connection a frame event came on. */
export function connOfEvent(s: Scan, idx: number): ConnState {
  const e = s.l.log.at(idx) as { actor: string; conn: number };
  return actorOf(s.l, e.actor).conn(e.conn)!;
}
