/**
 * The history of a load worker. Listeners (the streaming ledger, the metrics) see every event;
 * nothing is kept beyond a small tail, since a load run's history is millions of events and the
 * ledger keeps copies of what proves a finding.
 *
 * Its clock starts when the schedule does: every worker (and shard) sets the same epoch, so
 * history times, fault windows (`from: 10s`) and process faults line up across processes. Until
 * then — while the population connects — times are about an hour below zero, and still rise.
 */

import { History, type HistoryEvent } from '../../history/events.js';

/** Events kept for a look at what happened last (debugging a worker). */
const TAIL = 512;
/** Where the clock stands before the start is known: "an hour before the run". */
const BEFORE_START_MS = 3_600_000;

export class LoadHistory extends History {
  private origin0: number;

  constructor() {
    super();
    this.origin0 = performance.now() + BEFORE_START_MS;
  }

  override now(): number {
    return performance.now() - this.origin0;
  }

  /** Time 0 is `epochMs` (Date.now() clock), the same instant in every worker. */
  startAt(epochMs: number): void {
    this.origin0 = performance.now() + (epochMs - Date.now());
  }

  override append(event: HistoryEvent): void {
    super.append(event);
    if (this.events.length >= TAIL * 2) this.events.splice(0, this.events.length - TAIL);
  }
}
