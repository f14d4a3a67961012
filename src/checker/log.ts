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

  /** Events still held (tests: what is forgotten is let go, not only unreadable). */
  get held(): number {
    let n = 0;
    for (const chunk of this.chunks) if (chunk) for (const e of chunk) if (e !== undefined) n++;
    return n;
  }

  /**
   * Forgets events below `floor`: whole chunks are released, and the forgotten front of the
   * chunk the floor is in is cleared. Without that clearing up to a chunk of forgotten events
   * stayed: on the load memory bench those were the logins' events, ~600 B a bot whenever the
   * logins shared a chunk with what came after (heap snapshots of 400 and 2,000 bots), and the
   * figure moved between 6.7 and 7.6 KiB a bot with where the chunk boundary fell. One store per
   * event, once.
   */
  dropBelow(floor: number): void {
    if (this.history || floor <= this.floor) return;
    const from = this.floor;
    this.floor = Math.min(floor, this.count);
    const c = (this.floor / CHUNK) | 0;
    for (let k = c - 1; k >= 0 && this.chunks[k] !== undefined; k--) this.chunks[k] = undefined;
    const chunk = this.chunks[c];
    if (chunk !== undefined)
      chunk.fill(undefined as never, Math.max(from - c * CHUNK, 0), this.floor - c * CHUNK);
  }
}
