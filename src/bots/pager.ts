/**
 * Reading the inbox in pages (section 12, SYNC-1…4): forward from the watermark with each
 * page's ack riding on the next request (`ackUpTo`, SYNC-3) and the last page acked with ack:R;
 * backward from `maxSeq + 1` for a new device's history (SYNC-2). Used for the count-first
 * catch-up at login, for fetching a seq gap, and for explicit `page` steps.
 */

import type { DriverSession, SyncRequest } from '../drivers/driver.js';
import { ConnectionClosedError } from '../errors.js';
import type { StoredMessage } from '../protocol/frames.js';
import type { Acker } from './acker.js';
import type { Inbox, Via } from './inbox.js';
import type { PageInfo, PageResult } from './types.js';

export interface PagerContext {
  session: DriverSession;
  inbox: Inbox;
  acker: Acker;
  requestTimeoutMs: number;
  /** Acks are withheld (misbehaviour): no ackUpTo, no closing ack:R. */
  withheld(): boolean;
  /** Hands a message to the app: commits it (true) or drops it as a duplicate (false). */
  deliver(msg: StoredMessage, via: Via): boolean;
  /** Whether the app dies upon forward page `page` (from 1), before committing it (misbehaviour). */
  crashUponPage?(page: number): boolean;
}

export interface ForwardOptions {
  limit: number;
  /** Pages to read at most; 0 reads until `more` is false. */
  maxPages: number;
  /** Checked after each page: true ends the paging early (a gap fetch that filled its gap). */
  done?: () => boolean;
  /** End when a page brings nothing new, so a server that keeps skipping a seq cannot loop us. */
  stopWhenStale?: boolean;
}

function pageInfo(req: SyncRequest, msgs: StoredMessage[], more: boolean, maxSeq: number): PageInfo {
  const info: PageInfo = { limit: req.limit, seqs: msgs.map((m) => m.seq), more, maxSeq };
  if (req.after !== undefined) info.after = req.after;
  if (req.before !== undefined) info.before = req.before;
  if (req.ackUpTo !== undefined) info.ackUpTo = req.ackUpTo;
  return info;
}

export async function pageForward(ctx: PagerContext, options: ForwardOptions): Promise<PageResult> {
  const { session, inbox, acker } = ctx;
  const result: PageResult = {
    direction: 'forward',
    pages: [],
    committed: 0,
    duplicates: 0,
    more: true,
    maxSeq: 0,
  };
  let after = inbox.watermark;
  let carry: number | undefined;
  acker.suspend();
  try {
    for (;;) {
      const req: SyncRequest = { after, limit: options.limit };
      if (carry !== undefined) req.ackUpTo = carry;
      const page = await session.sync(req, ctx.requestTimeoutMs);
      // SYNC-3: the ack was applied before the page was read.
      if (carry !== undefined && carry > acker.lastSent) acker.lastSent = carry;
      if (ctx.crashUponPage?.(result.pages.length + 1)) {
        throw new ConnectionClosedError(
          `${session.actor}: the app crashed upon sync page ${result.pages.length + 1}`,
        );
      }
      let fresh = 0;
      for (const msg of page.msgs) {
        if (ctx.deliver(msg, 'sync')) fresh++;
        else result.duplicates++;
      }
      result.committed += fresh;
      result.more = page.more;
      result.maxSeq = page.maxSeq;
      result.pages.push(pageInfo(req, page.msgs, page.more, page.maxSeq));
      const mark = inbox.watermark;
      carry = !ctx.withheld() && mark > acker.lastSent ? mark : undefined;
      // SYNC-4: the next page starts after the last seq of this one.
      const last = page.msgs.at(-1)?.seq;
      if (!page.more || last === undefined || last <= after) break;
      if (options.maxPages > 0 && result.pages.length >= options.maxPages) break;
      if (options.done?.()) break;
      if (options.stopWhenStale && fresh === 0) break;
      after = last;
    }
  } finally {
    acker.resume();
  }
  // Section 12: "ack the last page with ack:R".
  acker.flushNow();
  return result;
}

export interface BackwardResult extends PageResult {
  /** `before` for the next backward page, or undefined when the history is exhausted. */
  next: number | undefined;
}

export async function pageBackward(
  ctx: PagerContext,
  before: number,
  limit: number,
  maxPages: number,
): Promise<BackwardResult> {
  const result: BackwardResult = {
    direction: 'backward',
    pages: [],
    committed: 0,
    duplicates: 0,
    more: true,
    maxSeq: 0,
    next: before,
  };
  let cursor = before;
  for (;;) {
    const req: SyncRequest = { before: cursor, limit };
    const page = await ctx.session.sync(req, ctx.requestTimeoutMs);
    for (const msg of page.msgs) {
      if (ctx.deliver(msg, 'backward')) result.committed++;
      else result.duplicates++;
    }
    result.more = page.more;
    result.maxSeq = page.maxSeq;
    result.pages.push(pageInfo(req, page.msgs, page.more, page.maxSeq));
    const first = page.msgs[0]?.seq;
    if (!page.more || first === undefined || first >= cursor) {
      result.next = undefined;
      break;
    }
    cursor = first;
    result.next = cursor;
    if (maxPages > 0 && result.pages.length >= maxPages) break;
  }
  // Pages below the watermark need no ack; one that reached above it (a device that kept its
  // state and read the newest page) does.
  if (ctx.inbox.watermark > ctx.acker.lastSent) ctx.acker.schedule();
  return result;
}
