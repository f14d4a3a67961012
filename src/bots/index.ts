/**
 * Bots: the client half of the delivery model (docs/protocol.md section 12), one `Bot` per
 * actor ("user/device"), on top of any driver.
 *
 * ```ts
 * const bot = new Bot({ actor: 'bob/phone', user: 'bob', device: 'phone', token, driver, history,
 *   client: resolveClientOptions({ retransmitMs: 500 }) });
 * await bot.connect({ state: 'keep' });      // 'none': new device, no local state (NEWDEV-1)
 * const cmid = bot.send('alice', 'hi');      // returns at once; retransmits with the same cmid
 * const off = bot.onChange(() => {           // after every state change; never re-entrant
 *   if (bot.state.counts.delivered === 1) off();
 * });
 * bot.misbehave({ withholdAcks: true });     // … bot.behave()
 * await bot.page('backward', 50, 1);         // SYNC-2 history, continues on the next call
 * await bot.raw('{"type":"ping:R"}', null, { beforeHello: true, timeoutMs: 1000 });
 * await bot.disconnect('crash');             // or 'clean'; no auto-reconnect afterwards
 * await bot.stop();
 * ```
 *
 * Every decision lands in the history as an event (send, retransmit, give-up, commit, dedup,
 * gap, misbehave, receipt); the driver adds frames, session and close.
 */

export { Bot } from './bot.js';
export { DEFAULT_CLIENT_OPTIONS, MAX_RECONNECT_DELAY_MS, resolveClientOptions } from './options.js';
export type { ReconnectFailure } from './reconnect.js';
export type {
  BotOptions,
  BotState,
  Misbehaviour,
  OutboxEntry,
  OutboxStatus,
  PageInfo,
  PageResult,
  RawAnswer,
  RawOptions,
} from './types.js';
