export { Bot } from './bot.js';
export { DEFAULT_CLIENT_OPTIONS, MAX_RECONNECT_DELAY_MS, resolveClientOptions } from './options.js';
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
