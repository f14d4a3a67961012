/**
 * The generator: a pure, seeded description of one case's operations (Jepsen's generator apart
 * from its checker). Same seed and case number → the same operations, whatever ran before.
 *
 * Randomness comes from the kit's own seeded xoshiro128** (faults/random.ts), not fast-check:
 * explore generates at run time, and fast-check is only a dev dependency; the kit's generator is
 * also the one every other seeded choice of a run uses, so one seed means one thing everywhere.
 *
 * The draws follow the workload shapes hand-written cases lack: bodies from 1 byte to the
 * server's advertised limit, unicode, several senders to one receiver and one to several, cmids
 * that coincide across senders, long offline periods, delayed and withheld acks, several devices
 * per user, paging with any limit, kill -9. A simulated connection state keeps most operations
 * meaningful (a disconnect picks a connected device); render.ts drops what shrinking makes
 * meaningless.
 */

import { createRng, type Rng } from '../faults/random.js';
import type { ExploreConfig, Range, Weights } from './config.js';
import { type BotRef, type FrameFault, type Operation, type TargetAbilities, userOf } from './operations.js';

/** Body size when the server advertises no limit (MQTT, XMPP): large, yet under common broker caps. */
export const FALLBACK_MAX_BODY_BYTES = 4096;
/**
 * The cmid prefix senders share when a send draws `sharedCmids`, per device name: u1/d1 and
 * u2/d1 send equal cmids (two senders: DEDUP-1 keeps them apart), while u1/d1 and u1/d2 never do
 * — one sender's equal cmid is a retransmission by definition, not a collision.
 */
export function sharedCmidPrefix(bot: BotRef): string {
  return `shared-${bot.slice(bot.indexOf('/') + 1)}`;
}

export interface GeneratedCase {
  /** Declared users and their devices, in order (`u1: [d1, d2]`). */
  users: Record<string, string[]>;
  operations: Operation[];
  /**
   * The bots' sync page size, when drawn (catch-up after a reconnect pages with it): any size
   * from `pageLimit`, so also above the server's syncLimitMax.
   */
  pageSize?: number;
  /** Frame rules of the fault proxy for the whole case, when drawn (codec drivers only). */
  faults?: FrameFault[];
}

/** Case `index` of the run with `seed`: its own stream, so case 7 is the same whether or not 1–6 ran. */
export function generateCase(
  seed: number,
  index: number,
  config: Readonly<ExploreConfig>,
  target: Readonly<TargetAbilities>,
): GeneratedCase {
  const rng = createRng(seed).fork(`explore-case-${index}`);
  const multiDevice = target.caps.includes('multi-device');
  const userCount = between(rng, config.users);
  const users: Record<string, string[]> = {};
  for (let u = 1; u <= userCount; u++) {
    const devices = multiDevice ? between(rng, config.devices) : 1;
    users[`u${u}`] = Array.from({ length: devices }, (_, d) => `d${d + 1}`);
  }
  const bots = Object.entries(users).flatMap(([u, ds]) => ds.map((d) => `${u}/${d}`));
  const online = new Set<BotRef>();
  const operations: Operation[] = [];
  // Most devices start online; some stay away until the closing steps (offline from the start).
  // A target that does not claim to store for absent receivers (no `standin-receipt`: MQTT, where
  // a client that never subscribed has no session to queue into) gets every device online first.
  const everyDeviceFirst = !target.caps.includes('standin-receipt');
  for (const bot of bots) {
    if (rng.chance(0.85) || everyDeviceFirst) {
      operations.push({ op: 'connect', bot, state: 'keep' });
      online.add(bot);
    }
  }
  const weights = usableWeights(config.weights, target);
  const count = between(rng, config.operations);
  for (let i = 0; i < count; i++) {
    const drawn = draw(rng, weights, { rng, config, target, users, bots, online });
    operations.push(...drawn);
  }
  // A case that sends nothing judges nothing: end with one ordinary send (logging a device in
  // first when every one is away).
  if (!operations.some((o) => o.op === 'send')) {
    const ctx = { rng, config, target, users, bots, online };
    if (online.size === 0) operations.push(...DRAWS.connect(ctx));
    const from = pickOnline(ctx)!;
    operations.push(sendOp(ctx, from, otherUser(ctx, from)));
  }
  const generated: GeneratedCase = { users, operations };
  if (target.caps.includes('paged-sync') && rng.chance(0.4))
    generated.pageSize = between(rng, config.pageLimit);
  const faults = frameFaults(seed, index, config, target);
  if (faults.length > 0) generated.faults = faults;
  return generated;
}

/**
 * Lost and duplicated frames for the whole case, from a stream of their own (so adding them left
 * every seed's operations as they were). Duplicates only of frames a second copy of which the
 * model absorbs as a retransmission (msg:R, ack:R) or a wire duplicate (msg:N): a second msg:A or
 * ack:N for one request is the proxy's doing, not the server's.
 */
function frameFaults(
  seed: number,
  index: number,
  config: Readonly<ExploreConfig>,
  target: Readonly<TargetAbilities>,
): FrameFault[] {
  if (!target.frameFaults) return [];
  const rng = createRng(seed).fork(`explore-faults-${index}`);
  if (!rng.chance(config.frameFaults.chance)) return [];
  const frames: FrameFault['match'][] = [
    { op: 'msg', kind: 'R' },
    { op: 'msg', kind: 'A' },
    { op: 'msg', kind: 'N' },
    { op: 'ack', kind: 'R' },
    { op: 'ack', kind: 'A' },
    { op: 'ack', kind: 'N' },
  ];
  const duplicable = (m: FrameFault['match']) => m.kind === 'R' || (m.op === 'msg' && m.kind === 'N');
  const count = 1 + rng.int(2);
  const out: FrameFault[] = [];
  for (let i = 0; i < count; i++) {
    const match = pick(rng, frames);
    const action = duplicable(match) && rng.chance(0.3) ? 'duplicate' : 'drop';
    if (out.some((f) => f.match.op === match.op && f.match.kind === match.kind)) continue;
    const max = Math.max(0.01, config.frameFaults.maxProbability);
    // Two decimals: the rendered scenario reads as written.
    const probability = Math.round((0.01 + rng.next() * (max - 0.01)) * 100) / 100;
    out.push({ match, action, probability });
  }
  return out;
}

interface DrawContext {
  rng: Rng;
  config: Readonly<ExploreConfig>;
  target: Readonly<TargetAbilities>;
  users: Record<string, string[]>;
  bots: BotRef[];
  online: Set<BotRef>;
}

/** Weights with what the target cannot do set to 0 (STYLE: respect capabilities). */
function usableWeights(
  weights: Readonly<Weights>,
  target: Readonly<TargetAbilities>,
): [keyof Weights, number][] {
  const usable = { ...weights };
  if (!target.canKill) usable.kill = 0;
  if (!target.caps.includes('paged-sync')) usable.page = 0;
  // Two devices of one user, and a receipt that says one of them acked.
  if (!target.caps.includes('multi-device') || !target.caps.includes('delivered-receipt'))
    usable.olderDevice = 0;
  return (Object.entries(usable) as [keyof Weights, number][]).filter(([, w]) => w > 0);
}

function draw(rng: Rng, weights: [keyof Weights, number][], ctx: DrawContext): Operation[] {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let pick = rng.next() * total;
  let kind: keyof Weights = weights[0]![0];
  for (const [name, w] of weights) {
    pick -= w;
    if (pick < 0) {
      kind = name;
      break;
    }
  }
  return DRAWS[kind](ctx);
}

const DRAWS: Record<keyof Weights, (ctx: DrawContext) => Operation[]> = {
  send: (ctx) => {
    const from = pickOnline(ctx);
    return from ? [sendOp(ctx, from, otherUser(ctx, from))] : [];
  },
  fanIn: (ctx) => {
    const to = pick(ctx.rng, Object.keys(ctx.users));
    const senders = [...ctx.online].filter((b) => !b.startsWith(`${to}/`));
    // One send per sending user, issued back to back: their messages reach the inbox together.
    const perUser = new Map<string, BotRef>();
    for (const b of senders) if (!perUser.has(b.split('/')[0]!)) perUser.set(b.split('/')[0]!, b);
    const shared = ctx.rng.chance(ctx.config.send.sharedCmids);
    return [...perUser.values()].map((from) => ({
      ...sendOp(ctx, from, to),
      ...(shared ? { cmids: sharedCmidPrefix(from) } : {}),
    }));
  },
  fanOut: (ctx) => {
    const from = pickOnline(ctx);
    if (!from) return [];
    const sender = from.split('/')[0]!;
    return Object.keys(ctx.users)
      .filter((u) => u !== sender)
      .map((to) => sendOp(ctx, from, to));
  },
  connect: (ctx) => {
    const away = ctx.bots.filter((b) => !ctx.online.has(b));
    if (away.length === 0) return [];
    const bot = pick(ctx.rng, away);
    ctx.online.add(bot);
    // keep: lastSeq; server: the server's own cursor decides (MDEV-1, DUR-2); none: a reinstall.
    const state = pick(ctx.rng, ['keep', 'keep', 'server', 'server', 'none'] as const);
    return [{ op: 'connect', bot, state }];
  },
  disconnect: (ctx) => leave(ctx, 'clean'),
  crash: (ctx) => leave(ctx, 'crash'),
  offline: (ctx) => {
    // A whole user goes away (every device: the server sees the user offline, OFF-1, RCPT-1),
    // often while someone sends it a backlog, and stays away a while before anything else.
    const bot = pickOnline(ctx);
    if (!bot) return [];
    const user = bot.split('/')[0]!;
    const mode = ctx.rng.chance(0.5) ? 'clean' : 'crash';
    const gone: Operation[] = [...ctx.online]
      .filter((b) => b.startsWith(`${user}/`))
      .map((b) => ({ op: 'disconnect', bot: b, mode }));
    for (const op of gone) if (op.op === 'disconnect') ctx.online.delete(op.bot);
    const sender = [...ctx.online].find((b) => !b.startsWith(`${user}/`));
    const backlog =
      sender && ctx.rng.chance(0.7)
        ? [{ ...sendOp(ctx, sender, user), count: between(ctx.rng, ctx.config.send.burstCount) }]
        : [];
    const wait: Operation = { op: 'wait', ms: between(ctx.rng, ctx.config.offlineMs) };
    // Often one device comes back at once, with or without its state: catch-up of a backlog
    // (paging, the stored receipts' follow-ups) happens while the case still runs.
    const back = ctx.rng.chance(0.5) ? DRAWS.connect(ctx) : [];
    return [...gone, ...backlog, wait, ...back];
  },
  delayAcks: (ctx) => [
    { op: 'misbehave', bot: pick(ctx.rng, ctx.bots), delayAcksMs: between(ctx.rng, ctx.config.ackDelayMs) },
  ],
  withholdAcks: (ctx) => {
    const bot = pick(ctx.rng, ctx.bots);
    return [{ op: 'misbehave', bot, withholdAcks: true }];
  },
  page: (ctx) => {
    const bot = pickOnline(ctx);
    if (!bot) return [];
    const backward = ctx.target.caps.includes('backward-sync') && ctx.rng.chance(0.5);
    return [
      {
        op: 'page',
        bot,
        direction: backward ? 'backward' : 'forward',
        limit: between(ctx.rng, ctx.config.pageLimit),
      },
    ];
  },
  kill: () => [{ op: 'kill' }],
  olderDevice: (ctx) => olderDevice(ctx),
};

/**
 * The shape of MDEV-1 that random draws almost never hit: a user's older device acks while a
 * sibling that logged in after it is online, then reconnects trusting the server's cursor
 * (`state: server`). A server that keeps one "current device" per user moves the sibling's
 * cursor instead of the acker's, and the older device's hello:A then reveals a cursor below
 * what its ack:A confirmed (ACK-4; the sibling's, above what it acked: MDEV-1).
 *
 * The sibling withholds its acks meanwhile, so the delivered receipt the send awaits can only
 * come from the older device's ack: its ack:A has arrived before it disconnects.
 */
function olderDevice(ctx: DrawContext): Operation[] {
  const { rng, online } = ctx;
  const multi = Object.entries(ctx.users).filter(([, ds]) => ds.length > 1);
  if (multi.length === 0) return [];
  const [user, devices] = pick(rng, multi);
  const [older, sibling] = rng.chance(0.5) ? [devices[0]!, devices[1]!] : [devices[1]!, devices[0]!];
  const olderBot = `${user}/${older}`;
  const siblingBot = `${user}/${sibling}`;
  const ops: Operation[] = [];
  const login = (bot: BotRef, state: 'keep' | 'server' = 'keep') => {
    online.add(bot);
    ops.push({ op: 'connect', bot, state });
  };
  if (!online.has(olderBot)) login(olderBot);
  // The sibling logs in after the older device (again, when it already was online).
  if (online.delete(siblingBot)) ops.push({ op: 'disconnect', bot: siblingBot, mode: 'clean' });
  login(siblingBot);
  ops.push({ op: 'misbehave', bot: siblingBot, withholdAcks: true });
  // The older device must ack: an earlier misbehave of it ends here (render drops a no-op behave).
  ops.push({ op: 'behave', bot: olderBot });
  let from = [...online].find((b) => userOf(b) !== user);
  if (from === undefined) {
    const away = ctx.bots.filter((b) => userOf(b) !== user);
    from = pick(rng, away);
    login(from);
  }
  ops.push({ ...sendOp(ctx, from, user), await: 'delivered' });
  online.delete(olderBot);
  ops.push({ op: 'disconnect', bot: olderBot, mode: 'clean' });
  login(olderBot, 'server');
  return ops;
}

function sendOp(ctx: DrawContext, from: BotRef, to: string): SendOperation {
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

function leave(ctx: DrawContext, mode: 'clean' | 'crash'): Operation[] {
  const bot = pickOnline(ctx);
  if (!bot) return [];
  ctx.online.delete(bot);
  return [{ op: 'disconnect', bot, mode }];
}

function pickOnline(ctx: DrawContext): BotRef | undefined {
  const online = [...ctx.online];
  return online.length ? pick(ctx.rng, online) : undefined;
}

function otherUser(ctx: DrawContext, from: BotRef): string {
  const sender = from.split('/')[0];
  return pick(
    ctx.rng,
    Object.keys(ctx.users).filter((u) => u !== sender),
  );
}

type SendOperation = Extract<Operation, { op: 'send' }>;

function between(rng: Rng, range: Range): number {
  return range.min + rng.int(range.max - range.min + 1);
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}
