/**
 * History events held back and handed to a consumer in one run, in order: at the end of the
 * event-loop turn (setImmediate), once MAX_HELD wait, or at once by `drain()` — which a consumer
 * calls before anything reads what it made of them, so a reader never sees fewer events than
 * were appended.
 *
 * Why: under load each event comes in its own socket callback, interleaved with the driver's and
 * the bots' work; taken in a run of a turn's events, the consumer's code and tables stay hot
 * (the streaming ledger, ~5% less CPU per message of the load process in the load bench, and
 * the metrics listener, ~3%).
 */

import type { HistoryEvent } from './events.js';

/** Events held at most before they are handed over: bounds what a synchronous loop of appends holds. */
const MAX_HELD = 1024;

export class TurnBatch {
  /**
   * Held events in `held[0..count)`: a buffer of MAX_HELD slots, written by index and handed
   * back for reuse after each run. A fresh array per run grew by pushes through a series of
   * backing stores (about 16 KB of garbage per 1024 events, several a message on the bots bench).
   */
  private held: (HistoryEvent | undefined)[] = emptyBuffer();
  private count = 0;
  /** The buffer of the last run, emptied, for the next one (undefined while a run uses it). */
  private spare: (HistoryEvent | undefined)[] | undefined;
  private queued = false;

  /**
   * `take` is handed each event; `onFirstHeld` is told when an event is held with none before it
   * (a consumer whose readers are elsewhere registers its drain with them there).
   */
  constructor(
    private readonly take: (event: HistoryEvent) => void,
    private readonly onFirstHeld?: () => void,
  ) {}

  add(event: HistoryEvent): void {
    const n = this.count;
    this.held[n] = event;
    this.count = n + 1;
    if (n === 0) {
      this.onFirstHeld?.();
      if (!this.queued) {
        this.queued = true;
        setImmediate(this.later);
      }
    } else if (n + 1 >= MAX_HELD) {
      this.drain();
    }
  }

  /** Hands every held event over now. */
  readonly drain = (): void => {
    const events = this.held;
    const n = this.count;
    if (n === 0) return;
    // Another buffer before taking: an event appended meanwhile waits for the next run, and a
    // consumer's error leaves no event to be taken twice.
    this.held = this.spare ?? emptyBuffer();
    this.spare = undefined;
    this.count = 0;
    try {
      for (let i = 0; i < n; i++) this.take(events[i]!);
    } finally {
      // Emptied, so a reused buffer keeps no event alive.
      events.fill(undefined, 0, n);
      this.spare = events;
    }
  };

  private readonly later = (): void => {
    this.queued = false;
    this.drain();
  };
}

function emptyBuffer(): (HistoryEvent | undefined)[] {
  return new Array<HistoryEvent | undefined>(MAX_HELD).fill(undefined);
}
