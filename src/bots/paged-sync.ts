/**
 * When a bot reads sync pages (pager.ts reads them): the count-first catch-up after login, the
 * fetch of a seq gap, and explicit `page` steps — one request chain at a time per bot, in the
 * background with retries for the first two.
 */

import type { SessionInfo } from '../drivers/driver.js';
import { ConnectionClosedError, TimeoutError } from '../errors.js';
import type { BotCore, Live } from './bot-core.js';
import { type PagerContext, pageForward } from './pager.js';
import type { Receiving } from './receiving.js';

export class PagedSync {
  private chain: Promise<unknown> = Promise.resolve();
  /** Page chains running or queued. */
  private running = 0;

  constructor(
    private readonly core: BotCore,
    private readonly receiving: Receiving,
  ) {}

  get syncing(): boolean {
    return this.running > 0;
  }

  /** After login: page the backlog when the server will not push it all (SYNC-6). */
  catchUp(live: Live, info: SessionInfo): void {
    if (info.pending <= 0 || !info.caps.includes('paged-sync')) return;
    const window = info.limits?.pushWindow;
    // REPUSH-2 pushes a backlog within the push window by itself; above it we page (SYNC-6).
    if (info.caps.includes('server-repush') && (window === undefined || info.pending <= window)) return;
    const limit = this.core.client.pageSize;
    this.background(live, (ctx) => pageForward(ctx, { limit, maxPages: 0 }), 1);
  }

  /** Pages forward until the watermark reaches `saw`. */
  fetchGap(live: Live, saw: number): void {
    if (!live.session.info.caps.includes('paged-sync')) return;
    const inbox = this.receiving.inbox;
    this.background(
      live,
      async (ctx) => {
        if (inbox.watermark >= saw) return;
        await pageForward(ctx, {
          limit: this.core.client.pageSize,
          maxPages: 0,
          done: () => inbox.watermark >= saw,
          stopWhenStale: true,
        });
      },
      1,
    );
  }

  /** Sync pages are read one request chain at a time per bot. */
  run<T>(live: Live, read: (ctx: PagerContext) => Promise<T>): Promise<T> {
    const core = this.core;
    const task = async (): Promise<T> => {
      if (!live.alive) throw new ConnectionClosedError(`${core.actor}: the connection ended before paging`);
      this.running++;
      core.changed();
      try {
        return await read(this.pagerContext(live));
      } finally {
        this.running--;
        core.changed();
      }
    };
    const result = this.chain.then(task, task);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs paging in the background. A page whose answer never came (a lost sync:R or sync:A) is
   * asked again at once: the request timeout was the wait. Waiting a retransmit interval more
   * kept a seq gap open for 1.5 s, so every receipt behind it came after the sender's own timer
   * and the kit retransmitted whole bursts. Any other failure is retried with backoff.
   */
  private background(live: Live, read: (ctx: PagerContext) => Promise<unknown>, attempt: number): void {
    const client = this.core.client;
    // Only background reads (catch-up, gap fetch) can crash the app (crashInSync): a `page` step reads on.
    const receiving = this.receiving;
    const crashable = (ctx: PagerContext) =>
      read({ ...ctx, crashUponPage: (page) => receiving.crashUponPage(live, page) });
    this.run(live, crashable).catch((error: unknown) => {
      if (!live.alive || attempt >= client.maxAttempts) return;
      const delay =
        error instanceof TimeoutError
          ? 0
          : Math.min(client.retransmitMs * client.backoff ** (attempt - 1), client.maxRetransmitMs);
      setTimeout(() => {
        if (live.alive) this.background(live, read, attempt + 1);
      }, delay);
    });
  }

  private pagerContext(live: Live): PagerContext {
    const { core, receiving } = this;
    return {
      session: live.session,
      inbox: receiving.inbox,
      acker: receiving.acker,
      requestTimeoutMs: core.client.requestTimeoutMs,
      withheld: () => core.flags.withholdAcks,
      deliver: (msg, via) => live.alive && receiving.deliver(live, msg, via),
    };
  }
}
