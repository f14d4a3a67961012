/**
 * Fits a `Bot` (src/bots) to the runner's narrow `CaseBot` view.
 */

import { Bot } from '../bots/index.js';
import type { DeviceStart } from '../checker/owed.js';
import type { Driver } from '../drivers/driver.js';
import type { History } from '../history/events.js';
import type { ClientOptions } from '../scenarios/types.js';
import type { CaseBot, OutboxView, PageView } from './case-bot.js';
import { lossyDriver, newLossBudget } from './lossy-driver.js';

export interface CaseBotOptions {
  user: string;
  device: string;
  token: string;
  driver: Driver;
  history: History;
  client: Readonly<ClientOptions>;
}

/**
 * Records how the device first logged in, below the lossy layer (which drops lastSeq for connect
 * state `server`): what went on the wire is what the server, and the checker, judged it by.
 */
function recordFirstLogin(inner: Driver, start: DeviceStart): Driver {
  return {
    name: inner.name,
    caps: inner.caps,
    ...(inner.openRaw ? { openRaw: inner.openRaw.bind(inner) } : {}),
    async connect(actor, options, history) {
      const session = await inner.connect(actor, options, history);
      if (start.firstBase === undefined) {
        start.firstBase = Math.max(0, session.info.maxSeq - session.info.pending);
        start.firstHadState = options.lastSeq !== undefined;
        start.firstSessionT = history.now();
      }
      return session;
    },
  };
}

export function createCaseBot(options: CaseBotOptions): CaseBot {
  const loss = newLossBudget();
  const start: DeviceStart = {
    firstBase: undefined,
    firstHadState: false,
    firstSessionT: Number.POSITIVE_INFINITY,
  };
  const bot = new Bot({
    ...options,
    driver: lossyDriver(recordFirstLogin(options.driver, start), loss),
    actor: `${options.user}/${options.device}`,
  });
  return {
    actor: bot.actor,
    user: bot.user,
    device: bot.device,
    get connected() {
      return bot.state.connected;
    },
    get reconnectFailure() {
      const s = bot.state;
      return s.online && !s.connected ? s.reconnectFailure : undefined;
    },
    get lastSession() {
      return bot.state.lastSession;
    },
    start,
    connect: (state) => {
      if (state !== 'server') return bot.connect({ state });
      loss.omitLastSeqOnce = true;
      return bot.connect({ state: 'keep' });
    },
    disconnect: (mode) => bot.disconnect(mode),
    send: (to, body, cmid) => bot.send(to, body, cmid),
    *outboxEntries(): Iterable<OutboxView> {
      for (const e of bot.state.outbox.values()) {
        // A rejected message (error:A) is final: nothing more will happen to it.
        const status = e.status === 'rejected' ? 'gave-up' : e.status;
        yield e.smid === undefined
          ? { cmid: e.cmid, to: e.to, status, sentAt: e.sentAt }
          : { cmid: e.cmid, to: e.to, status, smid: e.smid, sentAt: e.sentAt };
      }
    },
    hasCommitted: (smid) => bot.state.committedEver(smid),
    seqOf: (smid) => bot.state.store.get(smid)?.seq,
    misbehave: ({ loseAccepts, loseReceipts, losePushes, ...flags }) => {
      loss.accepts += loseAccepts ?? 0;
      loss.receipts += loseReceipts ?? 0;
      loss.pushes += losePushes ?? 0;
      bot.misbehave(flags);
    },
    behave: () => bot.behave(),
    async page(direction, limit, pages): Promise<PageView> {
      const result = await bot.page(direction, limit, pages);
      const first = result.pages[0];
      const from = direction === 'forward' ? first?.after : first?.before;
      return {
        seqs: result.pages.flatMap((p) => p.seqs),
        maxSeq: result.maxSeq,
        pages: result.pages.length,
        ...(from !== undefined ? { from } : {}),
      };
    },
    stop: () => bot.stop(),
  };
}
