/**
 * The sender's side of a bot: the outbox (outbox.ts decides when msg:R goes out), the frames it
 * transmits, and the answers to them — msg:A, a refusal, ack:N receipts — as history events and
 * state changes.
 */

import { randomBytes } from 'node:crypto';
import type { Notification, SendSink } from '../drivers/driver.js';
import { ServerRejectedError } from '../errors.js';
import type { RetransmitEvent } from '../history/events.js';
import type { BotCore } from './bot-core.js';
import { Outbox, type OutboxHooks, type TransmitReason } from './outbox.js';
import type { OutboxEntry } from './types.js';

export class Sending implements OutboxHooks {
  readonly outbox: Outbox;

  constructor(private readonly core: BotCore) {
    this.outbox = new Outbox(core.client, this, randomBytes(4).toString('hex'));
  }

  /** Records `send` and queues the message; sent at once when connected. */
  send(id: string, to: string, body: string): void {
    const core = this.core;
    core.record({ kind: 'send', t: core.now(), actor: core.actor, cmid: id, to, body });
    this.outbox.add(id, to, body, core.live !== undefined);
    core.changed();
  }

  /** An ack:N: a receipt for one of our messages. */
  receipt(n: Extract<Notification, { type: 'ack:N' }>): void {
    const entry = this.outbox.receipt(n.cmid, n.smid, n.status);
    if (!entry) return;
    const core = this.core;
    core.record({
      kind: 'receipt',
      t: core.now(),
      actor: core.actor,
      cmid: n.cmid,
      smid: n.smid,
      status: n.status,
    });
    core.changed();
  }

  transmit(entry: OutboxEntry, reason: TransmitReason, lateMs?: number): boolean {
    const core = this.core;
    const live = core.live;
    if (!live) return false;
    if (Number.isNaN(entry.sentAt)) entry.sentAt = core.now();
    if (reason !== 'first') {
      const event: RetransmitEvent = {
        kind: 'retransmit',
        t: core.now(),
        actor: core.actor,
        cmid: entry.cmid,
        attempt: entry.attempts,
        reason,
      };
      if (lateMs !== undefined) event.lateMs = Math.round(lateMs);
      core.record(event);
    }
    // The entry itself carries cmid, to and body: no per-send copy on the hot path. Where the
    // driver answers without a promise, the bot's one sink takes it: no promise, reaction or
    // closure per send (measured on the bots bench below).
    const session = live.session;
    const timeoutMs = core.client.requestTimeoutMs;
    if (session.sendWith) session.sendWith(entry, timeoutMs, this.answers, entry);
    else {
      session.send(entry, timeoutMs).then(
        (a) => this.answers.accepted(entry, a),
        (error: unknown) => this.answers.failed(entry, error as Error),
      );
    }
    return true;
  }

  giveUp(entry: OutboxEntry): void {
    const core = this.core;
    core.record({
      kind: 'give-up',
      t: core.now(),
      actor: core.actor,
      cmid: entry.cmid,
      attempts: entry.attempts,
    });
    core.changed();
  }

  retransmitSuppressed(): boolean {
    return this.core.flags.suppressRetransmit;
  }

  /** Where msg:A (or the request's failure) for one of our entries arrives. */
  private readonly answers: SendSink<OutboxEntry> = {
    accepted: (entry, accepted) => {
      if (this.outbox.accepted(accepted.cmid, accepted.smid, entry)) this.core.changed();
    },
    failed: (entry, error) => {
      // A lost or late msg:A is handled by the retransmit timer; only a refusal is final.
      if (error instanceof ServerRejectedError && this.outbox.rejected(entry.cmid)) this.core.changed();
    },
  };
}
