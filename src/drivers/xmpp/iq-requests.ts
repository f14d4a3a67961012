/**
 * The IQ requests of one XMPP stream awaiting their result: XEP-0199 pings and XEP-0313 MAM
 * queries, whose <message><result/></message> entries arrive before the <iq/> that ends them.
 * Also what a refused IQ means to the bot. No I/O.
 */

import { ServerRejectedError, UnsupportedError } from '../../errors.js';
import { type Deferred, deferred } from '../deadline.js';
import type { SyncPage } from '../driver.js';
import type { ChatIn } from './stanzas.js';

export interface IqWaiter {
  rid: string;
  kind: 'ping' | 'sync';
  done: Deferred<void>;
  /** The MAM query id its result messages carry. */
  queryId?: string;
  /** The archive entries received so far for a MAM query. */
  results: { archiveId: string; chat: ChatIn }[];
  /** The page, once the final <iq/> is in. */
  page?: SyncPage;
}

export class IqRequests {
  private readonly waiting = new Map<string, IqWaiter>();

  /** Starts waiting for the answer to IQ `rid`. */
  expect(rid: string, kind: IqWaiter['kind'], queryId?: string): IqWaiter {
    const waiter: IqWaiter = { rid, kind, done: deferred<void>(), queryId, results: [] };
    this.waiting.set(rid, waiter);
    return waiter;
  }

  /** One archive entry of MAM query `queryId` (a chat message, or none for anything else). */
  mamResult(queryId: string, archiveId: string, chat: ChatIn | undefined): void {
    const waiter = [...this.waiting.values()].find((w) => w.queryId === queryId);
    if (waiter && chat) waiter.results.push({ archiveId, chat });
  }

  /** The answer (result or error) to IQ `id` arrived: its waiter, if any, no longer waiting. */
  take(id: string): IqWaiter | undefined {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    return waiter;
  }

  /** The stream is gone: every request still waiting rejects with `error`. */
  end(error: Error): void {
    for (const w of this.waiting.values()) w.done.reject(error);
    this.waiting.clear();
  }
}

/**
 * The error a refused IQ rejects with: a MAM query the server does not implement means the
 * server has no archive (UnsupportedError, and how to fix it), anything else the server's refusal.
 */
export function iqRefusal(
  kind: IqWaiter['kind'],
  condition: string,
  text: string,
  url: string,
  actor: string,
): Error {
  const message = `${url} refused the ${kind} of ${actor}: ${condition}${text ? ` (${text})` : ''}`;
  return kind === 'sync' && (condition === 'service-unavailable' || condition === 'feature-not-implemented')
    ? new UnsupportedError(`${message}: the server has no XEP-0313 archive (Prosody: enable mod_mam)`)
    : new ServerRejectedError(message, condition);
}
