/**
 * The history of a load worker. Listeners (the streaming ledger, the metrics) see every event;
 * nothing is kept beyond a small tail, since a load run's history is millions of events and the
 * ledger keeps copies of what proves a finding.
 *
 * Its clock starts when the schedule does: every worker (and shard) sets the same epoch, so
 * history times, fault windows (`from: 10s`) and process faults line up across processes. Until
 * then — while the population connects — now() reads about an hour below zero, so no fault window
 * or offline phase matches the logins. The events of that phase are held back and handed on when
 * the epoch is known, their times moved onto the run's clock (a few seconds below zero at most):
 * handed on with the stand-in hour, a login became "connected since −3597793 ms" in a finding.
 */

import { History, type HistoryEvent } from '../../history/events.js';

/** Events kept for a look at what happened last (debugging a worker). */
const TAIL = 512;
/** Where the clock stands before the start is known: "an hour before the run". */
const BEFORE_START_MS = 3_600_000;

export class LoadHistory extends History {
  private origin0: number;
  /** Events appended before startAt, on the stand-in clock; undefined once started. */
  private early: HistoryEvent[] | undefined = [];
  /** The stand-in clock's last reading (at startAt), and what moves its times onto the run's. */
  private standInEnd = Number.POSITIVE_INFINITY;
  private shift = 0;

  constructor() {
    super();
    this.origin0 = performance.now() + BEFORE_START_MS;
  }

  override now(): number {
    return performance.now() - this.origin0;
  }

  /** Time 0 is `epochMs` (Date.now() clock), the same instant in every worker. */
  startAt(epochMs: number): void {
    const standIn = this.origin0;
    this.origin0 = performance.now() + (epochMs - Date.now());
    const early = this.early;
    if (!early) return;
    this.early = undefined;
    this.standInEnd = performance.now() - standIn;
    this.shift = standIn - this.origin0;
    for (const e of early) this.append({ ...e, t: this.onRunClock(e.t) });
  }

  /**
   * A time now() gave, on the run's clock: one read before the start (on the stand-in clock, an
   * hour below zero) is the same instant measured from the run's origin; later ones are as read.
   */
  onRunClock(t: number): number {
    return t <= this.standInEnd ? t + this.shift : t;
  }

  override append(event: HistoryEvent): void {
    if (this.early) {
      this.early.push(event);
      return;
    }
    super.append(event);
    if (this.events.length >= TAIL * 2) this.events.splice(0, this.events.length - TAIL);
  }
}
