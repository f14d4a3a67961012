/**
 * sync:R — apply ackUpTo first (SYNC-3), then read one page forward or backward (SYNC-1/2/4/5);
 * a forward page with more: false makes a catching-up device live (SYNC-6).
 */

import type { StoredMessage, SyncR } from '../../protocol/frames.js';
import type { AuthedSession, ServerContext } from '../context.js';
import type { FaultSet } from '../faults.js';
import type { Reply } from '../reply.js';
import type { Store } from '../store.js';
import { type AckContext, commitAck } from './ack.js';

export type SyncContext = AckContext & Pick<ServerContext, 'limits' | 'faults'>;

export interface Page {
  msgs: StoredMessage[];
  more: boolean;
  maxSeq: number;
}

/** Reads one page; pure over the store. `limit` is already clamped to syncLimitMax (SYNC-5). */
export function readPage(
  store: Store,
  faults: FaultSet,
  user: string,
  range: { after: number } | { before: number },
  limit: number,
  /** `sync-clamp-more` only: the client's own limit, wrongly used for `more`. */
  requested = limit,
): Page {
  const maxSeq = store.maxSeq(user);
  if ('after' in range) {
    const skip = faults.has('sync-page-skip');
    // One row beyond the page says whether there is more (SYNC-1); two under sync-page-skip.
    const rows = store.after(user, range.after, limit + (skip ? 2 : 1));
    if (skip && rows.length > limit) {
      // sync-page-skip: the page's last message is dropped and the next one takes its place, so
      // a client paging with `after = last seq` never sees the dropped one (breaks SYNC-4).
      const msgs = [...rows.slice(0, limit - 1), rows[limit]!];
      return { msgs, more: rows.length > limit + 1, maxSeq };
    }
    return { msgs: rows.slice(0, limit), more: rows.length > Math.max(limit, requested), maxSeq };
  }
  const rows = store.before(user, range.before, limit + 1);
  return { msgs: rows.slice(0, limit).reverse(), more: rows.length > limit, maxSeq };
}

export function handleSync(ctx: SyncContext, session: AuthedSession, frame: SyncR, reply: Reply): void {
  const { after, before } = frame;
  if ((after === undefined) === (before === undefined)) {
    reply.error('bad-sync', 'sync:R needs exactly one of "after" and "before"');
    return;
  }
  const answer = () => {
    const limit = Math.min(frame.limit, ctx.limits.syncLimitMax);
    const range = after !== undefined ? { after } : { before: before! };
    let page: Page;
    try {
      const requested = ctx.faults.has('sync-clamp-more') ? frame.limit : limit;
      page = readPage(ctx.store, ctx.faults, session.user, range, limit, requested);
    } catch (error) {
      // Also reached from a commit callback, where nobody else would answer (RID-1).
      ctx.log(`sync of ${session.user}/${session.device} failed: ${(error as Error).message}`);
      reply.error('internal', 'the page could not be read; try again');
      return;
    }
    // SYNC-6: a device catching up becomes live once a forward page reached the end.
    if (after !== undefined && !page.more && !session.feed.live) session.feed.goLive(page.maxSeq);
    reply.ok({ type: 'sync:A', rid: frame.rid, msgs: page.msgs, more: page.more, maxSeq: page.maxSeq });
  };
  if (frame.ackUpTo !== undefined && !ctx.faults.has('sync-ignore-ack')) {
    // SYNC-3: exactly an ack:R, applied (and committed) before the page is read.
    commitAck(ctx, session, frame.ackUpTo, reply, answer);
  } else {
    answer();
  }
}
