/**
 * The events the checker can read back by index. The case checker reads a history it was given
 * (nothing copied); the streaming ledger appends every event and forgets those below a floor once
 * the messages that need them are judged, so what it holds follows the messages in flight. An
 * index below the floor reads as GONE: a time of NaN, which every "had time" comparison treats
 * as not proven, and which evidence leaves out.
 */

import type { HistoryEvent } from '../history/events.js';

/** What a forgotten index reads as. */
export const GONE: HistoryEvent = Object.freeze({ kind: 'step', t: Number.NaN, index: -1, label: 'retired' });

/** Events per chunk: dropping the floor frees whole chunks. */
const CHUNK = 4096;

export class EventLog {
  /** Events appended so far (the next event's index). */
  count = 0;
  /** Indexes below it are forgotten. */
  floor = 0;
  private readonly chunks: (HistoryEvent[] | undefined)[] = [];

  /** With `history`, the log reads that array and holds nothing of its own. */
  constructor(private readonly history?: readonly HistoryEvent[]) {}

  append(e: HistoryEvent): number {
    const i = this.count++;
    if (this.history) return i;
    const c = (i / CHUNK) | 0;
    let chunk = this.chunks[c];
    if (!chunk) {
      chunk = [];
      this.chunks[c] = chunk;
    }
    chunk.push(e);
    return i;
  }

  at(i: number): HistoryEvent {
    if (this.history) return this.history[i] ?? GONE;
    if (i < this.floor || i >= this.count || i < 0) return GONE;
    return this.chunks[(i / CHUNK) | 0]![i % CHUNK]!;
  }

  /** Time of event i (NaN when forgotten or -1). */
  t(i: number): number {
    return i >= 0 ? this.at(i).t : Number.NaN;
  }

  /** Forgets events below `floor` (whole chunks at a time are released). */
  dropBelow(floor: number): void {
    if (this.history || floor <= this.floor) return;
    this.floor = Math.min(floor, this.count);
    const last = ((this.floor / CHUNK) | 0) - 1;
    for (let c = last; c >= 0 && this.chunks[c] !== undefined; c--) this.chunks[c] = undefined;
  }
}
