/**
 * Receipts to senders (ack:N): the stand-in `stored` receipt for an offline receiver (RCPT-1),
 * `delivered` once a device of the receiver acked (RCPT-2), and the replay of a known receipt to
 * a retransmitting sender (DEDUP-3). The receipt faults switch these off here, in one place.
 */

import type { AckN, Frame } from '../protocol/frames.js';
import type { FaultSet } from './faults.js';
import type { SessionRegistry } from './registry.js';
import type { DeliveredRecord, MessageRecord } from './store.js';

/** Where a receipt goes: any connection that can take a frame. */
export interface ReceiptTarget {
  readonly user: string;
  readonly device: string;
  send(frame: Frame): void;
}

export interface ReceiptIds {
  cmid: string;
  smid: string;
  to: string;
}

function receipt(ids: ReceiptIds, status: AckN['status']): AckN {
  return { type: 'ack:N', cmid: ids.cmid, smid: ids.smid, to: ids.to, status, ts: Date.now() };
}

export class Receipts {
  constructor(
    private readonly registry: SessionRegistry<ReceiptTarget>,
    private readonly faults: FaultSet,
  ) {}

  /** RCPT-1: right after msg:A, when no device of the receiver is connected. */
  standIn(sender: ReceiptTarget, ids: ReceiptIds): void {
    if (this.faults.has('no-standin-receipt')) return;
    if (!this.registry.hasAny(ids.to)) sender.send(receipt(ids, 'stored'));
  }

  /** RCPT-2: to every connected device of each sender, once per message (the store says which are new). */
  delivered(records: readonly DeliveredRecord[]): void {
    if (records.length === 0 || this.faults.has('no-delivered-receipt')) return;
    // receipt-to-newest-sender: the batch is addressed once, by its last record.
    const newest = this.faults.has('receipt-to-newest-sender')
      ? records[records.length - 1]!.sender
      : undefined;
    for (const r of records) {
      const frame = receipt(r, 'delivered');
      for (const device of this.registry.devicesOf(newest ?? r.sender)) device.send(frame);
    }
  }

  /**
   * DEDUP-3: after the msg:A of a duplicate, the receipt the server knows — `delivered`, or
   * `stored` while no device of the receiver is connected.
   */
  replay(sender: ReceiptTarget, ids: ReceiptIds, message: MessageRecord | undefined): void {
    if (this.faults.has('dup-no-receipt')) return;
    if (message?.receipt === 'delivered') sender.send(receipt(ids, 'delivered'));
    else if (!this.registry.hasAny(ids.to)) sender.send(receipt(ids, 'stored'));
  }
}
