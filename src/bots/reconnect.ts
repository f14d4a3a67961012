/**
 * A bot's reconnection on its own after the server or the network dropped it: the backoff
 * between attempts, and what the failed attempts said, so a case that waits for this bot can tell
 * its reader that the target stopped taking connections instead of only counting what is missing.
 */

import { messageOf } from '../errors.js';
import { reconnectBackoffMs } from '../scenarios/defaults.js';

/** Attempts that failed in a row since the bot was last connected. */
export interface ReconnectFailure {
  /** When the first of them failed (the history's clock, ms). */
  since: number;
  attempts: number;
  /** What the last one failed with (e.g. `connect ECONNREFUSED 127.0.0.1:7400`). */
  error: string;
}

export class Reconnector {
  private timer: NodeJS.Timeout | undefined;
  private failure: ReconnectFailure | undefined;

  constructor(
    private readonly baseDelayMs: number,
    private readonly now: () => number,
  ) {}

  /** The failed attempts since the last connect; undefined once one succeeds. */
  get lastFailure(): ReconnectFailure | undefined {
    return this.failure;
  }

  /**
   * Tries `open` after the backoff (reconnectBackoffMs), and again after each failure while
   * `wanted()` holds.
   */
  schedule(open: () => Promise<unknown>, wanted: () => boolean): void {
    const failures = this.failure?.attempts ?? 0;
    const delay = reconnectBackoffMs(this.baseDelayMs, failures);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!wanted()) return;
      open().catch((err: unknown) => {
        const since = this.failure?.since ?? this.now();
        this.failure = { since, attempts: failures + 1, error: messageOf(err) };
        if (wanted()) this.schedule(open, wanted);
      });
    }, delay);
  }

  /** Connected: the backoff starts over. */
  connected(): void {
    this.failure = undefined;
  }

  /** No attempt pending any more (the bot went offline on purpose or stopped). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
