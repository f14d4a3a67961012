/**
 * ack:R — advance the device's cursor durably, then answer, stop re-pushing what it covers, and
 * tell the senders (ACK-1…ACK-4, RCPT-2). sync:R ackUpTo goes through the same path (SYNC-3).
 */

import type { AckR } from '../../protocol/frames.js';
import type { AuthedSession, ServerContext } from '../context.js';
import type { Advance, CursorBook } from '../cursors.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store.js';

export type AckContext = Pick<
  ServerContext,
  'queue' | 'store' | 'cursors' | 'receipts' | 'log' | 'faults' | 'registry'
>;

/**
 * The device whose cursor an ack moves: the acking one — except under `ack-wrong-device`, which
 * takes the user's most recently logged-in device (a per-user "current device" pointer).
 */
function ackedDevice(ctx: AckContext, session: AuthedSession): string {
  if (!ctx.faults.has('ack-wrong-device')) return session.device;
  let newest = session.device;
  for (const s of ctx.registry.devicesOf(session.user)) newest = s.device;
  return newest;
}

export type AckResult = ({ ok: true } & Advance) | { ok: false; maxSeq: number };

/** Runs inside the transaction. ACK-2: an upTo above maxSeq changes nothing. */
export function applyAck(
  store: Store,
  cursors: CursorBook,
  user: string,
  device: string,
  upTo: number,
): AckResult {
  const maxSeq = store.maxSeq(user);
  if (upTo > maxSeq) return { ok: false, maxSeq };
  return { ok: true, ...cursors.advance(user, device, upTo) };
}

/**
 * Commits the ack, then on success updates pushes and receipts and calls `then` with the cursor;
 * on failure answers `reply` with bad-ack or internal.
 */
export function commitAck(
  ctx: AckContext,
  session: AuthedSession,
  upTo: number,
  reply: Reply,
  then: (cursor: number) => void,
): void {
  const device = ackedDevice(ctx, session);
  ctx.queue.submit(
    () => applyAck(ctx.store, ctx.cursors, session.user, device, upTo),
    (outcome) => {
      if (!outcome.ok) {
        ctx.log(`ack of ${session.user}/${session.device} failed: ${outcome.error.message}`);
        reply.error('internal', 'the ack could not be stored; send it again');
        return;
      }
      const result = outcome.value;
      if (!result.ok) {
        reply.error('bad-ack', `upTo ${upTo} is above maxSeq ${result.maxSeq} of your inbox`);
        return;
      }
      session.feed.ack(result.cursor);
      // ACK-3: the cursor is committed; the answer goes first, then the senders' receipts.
      then(result.cursor);
      ctx.receipts.delivered(result.delivered);
    },
  );
}

export function handleAck(ctx: AckContext, session: AuthedSession, frame: AckR, reply: Reply): void {
  // ACK-4: ack:A carries the cursor after the ack, unchanged when upTo was below it.
  commitAck(ctx, session, frame.upTo, reply, (cursor) =>
    reply.ok({ type: 'ack:A', rid: frame.rid, upTo: cursor }),
  );
}
