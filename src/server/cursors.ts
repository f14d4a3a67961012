/**
 * Device ack cursors (ACK-1…ACK-4, MDEV-1). The store holds them; two faults bend the rules on
 * purpose: `shared-cursor` keys every device of a user to one cursor (breaks MDEV-1), and
 * `cursor-not-durable` keeps advances in memory only (breaks DUR-2). A device's registration is
 * durable even then, so after a restart the device is known and its forgotten acks show up in
 * its `pending` — which is exactly what DUR-2 forbids.
 */

import type { DeliveredRecord, Store } from './store.js';

export interface CursorBookOptions {
  /** False for `shared-cursor`: one cursor per user. */
  perDevice: boolean;
  /** False for `cursor-not-durable`: advances are not written to the store. */
  durable: boolean;
}

export interface Advance {
  /** The cursor after the ack (unchanged when `upTo` was not above it, ACK-4). */
  cursor: number;
  /** Messages first covered by this ack (RCPT-2). */
  delivered: DeliveredRecord[];
}

const SHARED_DEVICE = '*';

export class CursorBook {
  private readonly memory = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: CursorBookOptions,
  ) {}

  private device(device: string): string {
    return this.options.perDevice ? device : SHARED_DEVICE;
  }

  /** The device's cursor, or undefined for a device the server has never seen (HELLO-1). */
  get(user: string, device: string): number | undefined {
    const d = this.device(device);
    if (!this.options.durable) {
      const remembered = this.memory.get(`${user}\u0000${d}`);
      if (remembered !== undefined) return remembered;
    }
    return this.store.cursor(user, d);
  }

  /** Records a device the server has not seen, with its starting cursor. Always durable. */
  register(user: string, device: string, acked: number): void {
    this.store.putCursor(user, this.device(device), acked);
  }

  /**
   * Applies a cumulative ack (ACK-1). Never moves backwards (ACK-4). Must run inside a
   * transaction; the caller checks `upTo ≤ maxSeq` (ACK-2) first.
   */
  advance(user: string, device: string, upTo: number): Advance {
    const current = this.get(user, device) ?? 0;
    if (upTo <= current) return { cursor: current, delivered: [] };
    const d = this.device(device);
    if (this.options.durable) this.store.putCursor(user, d, upTo);
    else this.memory.set(`${user}\u0000${d}`, upTo);
    return { cursor: upTo, delivered: this.store.markDelivered(user, current, upTo) };
  }
}
