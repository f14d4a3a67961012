/**
 * hello:R — authenticate, find the device's starting point, answer count first, then push the
 * backlog or leave the device catching up (AUTH-2/3/6, HELLO-1/2, NEWDEV-1, REPUSH-2, SYNC-6).
 */

import { CAPS, CloseCode, type HelloR } from '../../protocol/frames.js';
import type { ConnectedDevice, LoginSession, ServerContext } from '../context.js';
import type { CursorBook } from '../cursors.js';
import { DeviceFeed } from '../push.js';
import type { Reply } from '../reply.js';
import type { DeliveredRecord, Store } from '../store.js';

export type HelloContext = Pick<
  ServerContext,
  'authenticate' | 'queue' | 'store' | 'cursors' | 'registry' | 'receipts' | 'limits' | 'faults' | 'log'
>;

export interface DeviceStart {
  maxSeq: number;
  /** HELLO-1 starting point. */
  base: number;
  pending: number;
  /** The device's ack cursor after the hello. */
  cursor: number;
  /** Receipts made known by a lastSeq above the cursor (HELLO-2 → RCPT-2). */
  delivered: DeliveredRecord[];
}

/** Runs inside the transaction: registers a new device, applies HELLO-2, computes HELLO-1. */
export function openDevice(
  store: Store,
  cursors: CursorBook,
  user: string,
  device: string,
  lastSeq: number | undefined,
): DeviceStart {
  const maxSeq = store.maxSeq(user);
  let cursor = cursors.get(user, device);
  if (cursor === undefined) {
    // NEWDEV-1: a device with no local state starts at maxSeq and is not sent the history.
    cursor = lastSeq === undefined ? maxSeq : 0;
    cursors.register(user, device, cursor);
  }
  let delivered: DeliveredRecord[] = [];
  if (lastSeq !== undefined && lastSeq > cursor && maxSeq > cursor) {
    // HELLO-2: the client says it committed everything up to lastSeq: a cumulative ack.
    const advance = cursors.advance(user, device, Math.min(lastSeq, maxSeq));
    cursor = advance.cursor;
    delivered = advance.delivered;
  }
  const base = lastSeq ?? cursor;
  return { maxSeq, base, pending: Math.max(0, maxSeq - base), cursor, delivered };
}

export function handleHello(
  ctx: HelloContext,
  session: LoginSession & ConnectedDevice,
  frame: HelloR,
  reply: Reply,
): void {
  if (!ctx.authenticate(frame.user, frame.token)) {
    // AUTH-2: refuse, then close; no session ever exists for this connection.
    reply.error('auth-failed', `wrong token for user ${JSON.stringify(frame.user)}`);
    session.close(CloseCode.authFailed, 'authentication failed');
    return;
  }
  session.beginHello();
  const { user, device, lastSeq } = frame;
  // offline-cap: a device of the user came back, so its offline queue starts over.
  ctx.faults.offlineQueued.delete(user);
  ctx.queue.submit(
    () => openDevice(ctx.store, ctx.cursors, user, device, lastSeq),
    (outcome) => {
      if (!session.isOpen) return;
      if (!outcome.ok) {
        ctx.log(`hello of ${user}/${device} failed: ${outcome.error.message}`);
        session.helloFailed();
        reply.error('internal', 'the server could not open the session; try again');
        return;
      }
      const start = outcome.value;
      // AUTH-6: the newer session wins; the old one is closed with 4409 and gets nothing more.
      const old = ctx.registry.get(user, device);
      if (old !== undefined && old !== session) old.close(CloseCode.replaced, 'replaced by a newer session');
      const feed = new DeviceFeed(
        (f) => session.send(f),
        feedOptions(ctx),
        Math.min(start.base, start.maxSeq),
      );
      session.authenticate(user, device, feed);
      ctx.registry.add(session);
      reply.ok({
        type: 'hello:A',
        rid: frame.rid,
        user,
        device,
        maxSeq: start.maxSeq,
        pending: start.pending,
        caps: [...CAPS],
        limits: { ...ctx.limits },
        serverTime: Date.now(),
      });
      ctx.receipts.delivered(start.delivered);
      if (start.pending === 0) {
        feed.goLive(start.maxSeq);
      } else if (start.pending <= ctx.limits.pushWindow) {
        // REPUSH-2: within the push window the device is live at once and gets base+1 … maxSeq.
        feed.goLive(start.base);
        if (!ctx.faults.has('no-repush')) feed.pushBacklog(ctx.store.range(user, start.base, start.maxSeq));
      }
      // Otherwise SYNC-6: not live until a forward sync:A with more: false.
    },
  );
}

function feedOptions(ctx: Pick<ServerContext, 'limits' | 'faults'>) {
  return {
    repushMs: ctx.limits.repushMs,
    repush: !ctx.faults.has('no-repush'),
    duplicate: ctx.faults.has('duplicate-push'),
    reorder: ctx.faults.has('reorder-push'),
    ackPerSender: ctx.faults.has('repush-acked'),
    attemptStuck: ctx.faults.has('repush-attempt-1'),
  };
}
