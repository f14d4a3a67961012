/**
 * A History that keeps only its newest events. A conformance case's history is evidence and is
 * kept whole; the monitor runs for months, so its history would grow without bound. Listeners
 * (the metrics) still see every event; only the stored tail is trimmed, in amortised O(1):
 * the array is cut back to `keep` events each time it reaches twice that.
 */

import { History, type HistoryEvent } from '../history/events.js';

export class RollingHistory extends History {
  constructor(
    readonly keep: number = 1_000,
    origin?: number,
  ) {
    super(origin);
  }

  override append(event: HistoryEvent): void {
    super.append(event);
    if (this.events.length >= this.keep * 2) this.events.splice(0, this.events.length - this.keep);
  }
}
