/**
 * When the receiver acks (section 12): only after commit, cumulatively (the watermark), either
 * at once — coalesced per event-loop turn, so a burst of pushes read in one TCP chunk costs one
 * ack:R — or batched by `ackDelayMs`. While sync pages are read, acks ride on the next sync:R
 * (`ackUpTo`, SYNC-3) instead, so the acker is suspended.
 */

export interface AckerHooks {
  /** The watermark to acknowledge. */
  upTo(): number;
  /** Send ack:R now; false when no session is up. */
  send(upTo: number): boolean;
  /** Extra delay and withholding from misbehaviour. */
  delayMs(): number;
  withheld(): boolean;
}

export class Acker {
  /** Highest upTo sent (ack:R, sync ackUpTo, or hello lastSeq) on the current session. */
  lastSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private queued = false;
  private force = false;
  private suspended = 0;
  /** Bumped on every session change, so a flush queued for an old session does nothing. */
  private epoch = 0;

  constructor(private readonly hooks: AckerHooks) {}

  /** A new session starts: its server cursor is at least `base` (lastSeq or the server's base). */
  reset(base: number): void {
    this.cancel();
    this.lastSent = base;
    this.suspended = 0;
  }

  cancel(): void {
    this.epoch++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = false;
    this.force = false;
  }

  /**
   * Asks for an ack of the current watermark. `force` re-sends even when the watermark was
   * already acked — a re-push of a committed message means the server never got that ack.
   */
  schedule(force = false): void {
    if (force) this.force = true;
    if (this.hooks.withheld() || this.suspended > 0 || this.queued) return;
    this.queued = true;
    const epoch = this.epoch;
    const delay = this.hooks.delayMs();
    if (delay <= 0) {
      queueMicrotask(() => this.fire(epoch));
    } else {
      this.timer = setTimeout(() => this.fire(epoch), delay);
    }
  }

  /** Sync pages are being read: their requests carry the acks. */
  suspend(): void {
    this.suspended++;
  }

  resume(): void {
    if (this.suspended > 0) this.suspended--;
  }

  /** Acks now (no delay), e.g. for the last page of a catch-up or a clean disconnect. */
  flushNow(): void {
    this.cancel();
    this.send();
  }

  private fire(epoch: number): void {
    if (epoch !== this.epoch) return;
    this.timer = undefined;
    this.queued = false;
    if (this.suspended > 0) return;
    this.send();
  }

  private send(): void {
    if (this.hooks.withheld()) return;
    const upTo = this.hooks.upTo();
    const force = this.force;
    this.force = false;
    if (upTo <= 0 || (upTo <= this.lastSent && !force)) return;
    if (this.hooks.send(upTo)) this.lastSent = Math.max(this.lastSent, upTo);
  }
}
