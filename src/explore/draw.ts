/**
 * What every draw of the generator shares: the context it draws in (the seeded stream, the
 * config, what the target can do, who is online) and the small draws operations are built of
 * (a send, a pick, a range). generate.ts draws the plain operations, shapes.ts the composite ones.
 */

import type { Rng } from '../faults/random.js';
import type { ExploreConfig, Range } from './config.js';
import type { BotRef, Operation, TargetAbilities } from './operations.js';

/** Body size when the server advertises no limit (MQTT, XMPP): large, yet under common broker caps. */
export const FALLBACK_MAX_BODY_BYTES = 4096;

export interface DrawContext {
  rng: Rng;
  config: Readonly<ExploreConfig>;
  target: Readonly<TargetAbilities>;
  users: Record<string, string[]>;
  bots: BotRef[];
  online: Set<BotRef>;
  /** The bots' sync page size a shape asks for (catch-up in many small pages), if any. */
  pageSize?: number;
}

export type SendOperation = Extract<Operation, { op: 'send' }>;

/**
 * The cmid prefix senders share when a send draws `sharedCmids`, per device name: u1/d1 and
 * u2/d1 send equal cmids (two senders: DEDUP-1 keeps them apart), while u1/d1 and u1/d2 never do
 * — one sender's equal cmid is a retransmission by definition, not a collision.
 */
export function sharedCmidPrefix(bot: BotRef): string {
  return `shared-${bot.slice(bot.indexOf('/') + 1)}`;
}

export function sendOp(ctx: DrawContext, from: BotRef, to: string): SendOperation {
  const { rng, config, target } = ctx;
  const s = config.send;
  const maxBody = target.maxBodyBytes ?? FALLBACK_MAX_BODY_BYTES;
  const large = rng.chance(s.large);
  // Large: from a sixteenth of the limit up to the limit itself (a too-narrow column shows there).
  const size = large
    ? between(rng, { min: Math.max(1, maxBody >> 4), max: maxBody })
    : between(rng, { min: 1, max: 64 });
  const count = rng.chance(s.burst) ? between(rng, s.burstCount) : between(rng, s.count);
  const op: SendOperation = {
    op: 'send',
    from,
    to,
    count,
    size,
    text: rng.chance(s.unicode) ? 'unicode' : 'ascii',
    rate: rng.chance(0.25) ? between(rng, { min: 20, max: 500 }) : 0,
  };
  if (rng.chance(s.sharedCmids)) op.cmids = sharedCmidPrefix(from);
  return op;
}

export function leave(ctx: DrawContext, mode: 'clean' | 'crash'): Operation[] {
  const bot = pickOnline(ctx);
  if (!bot) return [];
  ctx.online.delete(bot);
  return [{ op: 'disconnect', bot, mode }];
}

export function pickOnline(ctx: DrawContext): BotRef | undefined {
  const online = [...ctx.online];
  return online.length ? pick(ctx.rng, online) : undefined;
}

export function otherUser(ctx: DrawContext, from: BotRef): string {
  const sender = from.split('/')[0];
  return pick(
    ctx.rng,
    Object.keys(ctx.users).filter((u) => u !== sender),
  );
}

export function between(rng: Rng, range: Range): number {
  return range.min + rng.int(range.max - range.min + 1);
}

export function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

/**
 * A page limit: any from `pageLimit`, or half the time one at the edge of the server's advertised
 * `syncLimitMax` (just below, at, just above, twice it) — where a clamp that forgets `more`
 * (SYNC-1) or an off-by-one at the boundary (SYNC-4) shows. Always within `pageLimit`.
 */
export function pageLimit(ctx: Pick<DrawContext, 'rng' | 'config' | 'target'>): number {
  const { rng, config, target } = ctx;
  const max = target.syncLimitMax;
  if (max === undefined || !rng.chance(0.5)) return between(rng, config.pageLimit);
  const edge = pick(rng, [max - 1, max, max + 1, 2 * max]);
  return Math.min(config.pageLimit.max, Math.max(config.pageLimit.min, edge));
}
