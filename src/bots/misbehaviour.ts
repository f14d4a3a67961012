/**
 * The client rules a bot can be told to break (a `misbehave` step): these are faults too, and
 * each one shows in the history as a `misbehave` event when told and when acted on.
 */

import type { Misbehaviour } from './types.js';

export class MisbehaviourFlags {
  private crashesLeft = 0;
  /** The page of the next forward sync read to crash upon (0: none). */
  private syncCrashPage = 0;
  private withhold = false;
  private extraAckDelay = 0;
  private noRetransmit = false;

  /** Applies a `misbehave` step (loseState is an action, handled by the bot). */
  set(flags: Misbehaviour): void {
    if (flags.crashBeforeCommit !== undefined)
      this.crashesLeft = Math.max(0, Math.floor(flags.crashBeforeCommit));
    if (flags.crashInSync !== undefined) this.syncCrashPage = Math.max(0, Math.floor(flags.crashInSync));
    if (flags.withholdAcks !== undefined) this.withhold = flags.withholdAcks;
    if (flags.delayAcksMs !== undefined) this.extraAckDelay = Math.max(0, flags.delayAcksMs);
    if (flags.noRetransmit !== undefined) this.noRetransmit = flags.noRetransmit;
  }

  /** `behave`: every rule is kept again. Returns whether acks were being withheld. */
  clear(): { wasWithholding: boolean } {
    const wasWithholding = this.withhold;
    this.crashesLeft = 0;
    this.syncCrashPage = 0;
    this.withhold = false;
    this.extraAckDelay = 0;
    this.noRetransmit = false;
    return { wasWithholding };
  }

  /** Whether this push must crash the app before it commits; counts the crash down. */
  takeCrash(): boolean {
    if (this.crashesLeft <= 0) return false;
    this.crashesLeft--;
    return true;
  }

  /** Whether page `page` (from 1, so never the unarmed 0) of this forward read must crash the app; disarms when it does. */
  takeSyncCrash(page: number): boolean {
    if (page !== this.syncCrashPage) return false;
    this.syncCrashPage = 0;
    return true;
  }

  get crashesPending(): number {
    return this.crashesLeft;
  }

  get withholdAcks(): boolean {
    return this.withhold;
  }

  get ackDelayMs(): number {
    return this.extraAckDelay;
  }

  get suppressRetransmit(): boolean {
    return this.noRetransmit;
  }
}
