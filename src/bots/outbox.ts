/**
 * The sender's waiting-for-ack queue (section 12): one timer per message; with no receipt in
 * time, resend msg:R with the SAME cmid, the timeout growing by `backoff` up to
 * `maxRetransmitMs`, until a receipt ends it or `maxAttempts` is used up (give up). On
 * reconnect every message still waiting is resent at once.
 *
 * The outbox decides; the bot acts (sends frames, records events) through narrow hooks.
 */

import { TimerLanes } from '../drivers/timer-lanes.js';
import type { ReceiptStatus } from '../protocol/frames.js';
import type { ClientOptions } from '../scenarios/types.js';
import { OutboxEntries } from './outbox-entries.js';
import type { OutboxEntry, OutboxStatus } from './types.js';

export type TransmitReason = 'first' | 'timeout' | 'reconnect';

/**
 * An entry as the outbox keeps it: `timer` is the stamp of its current retransmit timer, 0 when
 * none — a field of the entry rather than a Map from entries to stamps, which cost a set and a
 * delete per message. Not part of the OutboxEntry the bot's state shows.
 */
type Timed = OutboxEntry & { timer: number };

export interface OutboxHooks {
  /** Send msg:R for the entry now (attempts already counts it). False when no session is up. */
  transmit(entry: OutboxEntry, reason: TransmitReason, lateMs?: number): boolean;
  giveUp(entry: OutboxEntry): void;
  /** The bot is told not to retransmit (misbehaviour). */
  retransmitSuppressed(): boolean;
}

export class Outbox {
  readonly entries: OutboxEntries;
  readonly counts: Record<OutboxStatus, number> = {
    pending: 0,
    accepted: 0,
    stored: 0,
    delivered: 0,
    'gave-up': 0,
    rejected: 0,
  };
  /**
   * Whether the target sends receipts at all (cap delivered-receipt). Without them msg:A is the
   * last word on a message and retransmission stops there.
   */
  receiptsExpected = true;
  /**
   * Retransmit timers. An entry's current timer is the one whose stamp matches its `timer`;
   * re-arming or disarming just changes the stamp, so stale expiries fall through (TimerLanes).
   */
  private readonly timers = new TimerLanes<Timed>((entry, stamp, lateMs) => {
    if (entry.timer === stamp && stamp >= this.firstLive) {
      entry.timer = 0;
      this.expired(entry, lateMs);
    }
  });
  /** Stamps below it were armed before the last `disconnected()`: cleared, even mid-expiry. */
  private firstLive = 1;
  private nextStamp = 0;

  /** `cmidPrefix` starts every cmid the outbox makes (`nextCmid`). */
  constructor(
    private readonly options: Readonly<ClientOptions>,
    private readonly hooks: OutboxHooks,
    cmidPrefix: string,
  ) {
    this.entries = new OutboxEntries(cmidPrefix);
  }

  /** A fresh cmid for a new message. */
  nextCmid(): string {
    return this.entries.nextCmid();
  }

  /** Queues a new message and sends it when `connected`. */
  add(cmid: string, to: string, body: string, connected: boolean): OutboxEntry {
    // smid declared from the start: every entry keeps one shape when msg:A fills it in.
    const entry: Timed = {
      cmid,
      to,
      body,
      status: 'pending',
      attempts: 0,
      sentAt: Number.NaN,
      smid: undefined,
      timer: 0,
    };
    this.entries.set(cmid, entry);
    this.counts.pending++;
    if (connected) this.attempt(entry, 'first');
    return entry;
  }

  /**
   * msg:A arrived (the first, or a dup answer to a retransmission). `sent` is the entry whose
   * msg:R it answers: when the msg:A names that same cmid (it should), the outbox, which keeps
   * every message of the case, is not searched for it.
   */
  accepted(cmid: string, smid: string, sent?: OutboxEntry): boolean {
    const entry = sent !== undefined && sent.cmid === cmid ? sent : this.entries.get(cmid);
    if (!entry) return false;
    entry.smid ??= smid;
    if (entry.status !== 'pending') return false;
    this.setStatus(entry, 'accepted');
    if (!this.needsRetransmit(entry)) this.disarm(entry);
    return true;
  }

  /** The server refused the message (error:A): it will never be accepted, so stop. */
  rejected(cmid: string): boolean {
    const entry = this.entries.get(cmid);
    if (!entry || (entry.status !== 'pending' && entry.status !== 'gave-up')) return false;
    this.setStatus(entry, 'rejected');
    this.disarm(entry);
    return true;
  }

  /**
   * ack:N arrived. Returns true when it improved what the entry knew (stored → delivered), so
   * a repeated receipt (DEDUP-3) is not counted twice. A receipt after give-up still counts: the
   * message did get through.
   */
  receipt(cmid: string, smid: string, status: ReceiptStatus): OutboxEntry | undefined {
    const entry = this.entries.get(cmid);
    if (!entry || entry.status === 'delivered' || entry.status === 'rejected') return undefined;
    if (status === 'stored' && entry.status === 'stored') return undefined;
    entry.smid ??= smid;
    this.setStatus(entry, status);
    if (!this.needsRetransmit(entry)) this.disarm(entry);
    return entry;
  }

  /** A session came up: send what waits, resend what has no receipt (reason reconnect). */
  connected(): void {
    for (const entry of this.entries.values()) {
      if (!this.needsRetransmit(entry)) continue;
      if (entry.attempts === 0) {
        this.attempt(entry, 'first');
      } else if (this.hooks.retransmitSuppressed()) {
        this.arm(entry);
      } else if (entry.attempts >= this.options.maxAttempts) {
        this.giveUp(entry);
      } else {
        this.attempt(entry, 'reconnect');
      }
    }
  }

  /** The session ended: timers stop until the next `connected()`. */
  disconnected(): void {
    this.timers.clear();
    this.firstLive = this.nextStamp + 1;
  }

  stop(): void {
    this.disconnected();
  }

  /** True while the message still wants a msg:R resent on timeout. */
  needsRetransmit(entry: OutboxEntry): boolean {
    switch (entry.status) {
      case 'pending':
        return true;
      case 'accepted':
        return this.receiptsExpected;
      case 'stored':
        return !this.options.storedStopsRetransmit;
      default:
        return false;
    }
  }

  private attempt(entry: OutboxEntry, reason: TransmitReason, lateMs?: number): void {
    entry.attempts++;
    if (!this.hooks.transmit(entry, reason, lateMs)) entry.attempts--;
    else this.arm(entry);
  }

  private arm(entry: OutboxEntry): void {
    const { retransmitMs, backoff, maxRetransmitMs } = this.options;
    const n = Math.max(entry.attempts, 1);
    const delay = Math.min(retransmitMs * backoff ** (n - 1), maxRetransmitMs);
    const stamp = ++this.nextStamp;
    const timed = entry as Timed;
    timed.timer = stamp;
    this.timers.add(delay, timed, stamp);
  }

  private disarm(entry: OutboxEntry): void {
    (entry as Timed).timer = 0;
  }

  private expired(entry: OutboxEntry, lateMs: number): void {
    if (!this.needsRetransmit(entry)) return;
    if (this.hooks.retransmitSuppressed()) {
      // Keep the clock running so retransmission resumes after `behave`.
      this.arm(entry);
      return;
    }
    // The last attempt had its full timeout to earn a receipt: now give up (section 12).
    if (entry.attempts >= this.options.maxAttempts) {
      this.giveUp(entry);
      return;
    }
    this.attempt(entry, 'timeout', lateMs);
  }

  private giveUp(entry: OutboxEntry): void {
    this.disarm(entry);
    this.setStatus(entry, 'gave-up');
    this.hooks.giveUp(entry);
  }

  private setStatus(entry: OutboxEntry, status: OutboxStatus): void {
    this.counts[entry.status]--;
    entry.status = status;
    this.counts[status]++;
  }
}
