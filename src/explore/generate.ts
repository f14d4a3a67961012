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
import type { ExploreConfig, Weights } from './config.js';
import {
  between,
  type DrawContext,
  leave,
  otherUser,
  pageLimit,
  pick,
  pickOnline,
  sendOp,
  sharedCmidPrefix,
} from './draw.js';
import type { BotRef, FrameFault, Operation, TargetAbilities } from './operations.js';
import { ackThenKill, badLogin, catchUpCrash, olderDevice, serverCursor, silentSocket } from './shapes.js';

export { FALLBACK_MAX_BODY_BYTES, sharedCmidPrefix } from './draw.js';

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
  /** `delivered`: the target claims delivered receipts, so the case expects one per message (RCPT-2). */
  receipt?: 'delivered';
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
  const ctx: DrawContext = { rng, config, target, users, bots, online };
  // None usable (the config weighs only what this target cannot do): the closing send below alone.
  if (weights.length > 0) for (let i = 0; i < count; i++) operations.push(...draw(rng, weights, ctx));
  // A case that sends nothing judges nothing: end with one ordinary send (logging a device in
  // first when every one is away).
  if (!operations.some((o) => o.op === 'send')) {
    if (online.size === 0) operations.push(...DRAWS.connect(ctx));
    const from = pickOnline(ctx)!;
    operations.push(sendOp(ctx, from, otherUser(ctx, from)));
  }
  const generated: GeneratedCase = { users, operations };
  if (ctx.pageSize !== undefined) generated.pageSize = ctx.pageSize;
  else if (target.caps.includes('paged-sync') && rng.chance(0.4)) generated.pageSize = pageLimit(ctx);
  if (target.caps.includes('delivered-receipt')) generated.receipt = 'delivered';
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

/** Weights with what the target cannot do set to 0 (STYLE: respect capabilities). */
function usableWeights(
  weights: Readonly<Weights>,
  target: Readonly<TargetAbilities>,
): [keyof Weights, number][] {
  const usable = { ...weights };
  if (!target.canKill) {
    usable.kill = 0;
    usable.ackThenKill = 0;
  }
  // Probes speak on a socket of their own, with hand-made frames.
  if (!target.rawFrames) {
    usable.badLogin = 0;
    usable.silentSocket = 0;
  }
  if (target.helloTimeoutMs === undefined) usable.silentSocket = 0;
  // The send waits for a delivered receipt; catch-up needs a store to catch up from.
  if (!target.caps.includes('delivered-receipt')) usable.serverCursor = 0;
  if (!target.caps.includes('standin-receipt')) usable.catchUpCrash = 0;
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
    const sends: Operation[] = [...perUser.values()].map((from) => ({
      ...sendOp(ctx, from, to),
      ...(shared ? { cmids: sharedCmidPrefix(from) } : {}),
    }));
    // Often time passes beyond the server's re-push timer: acked messages of every sender must
    // stay acked, never pushed again (PUSH-2), and re-pushes say which attempt they are (REPUSH-3).
    const past = ctx.rng.chance(0.4) ? [{ op: 'wait', ms: 500, after: 'repushMs' } as const] : [];
    return [...sends, ...past];
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
        limit: pageLimit(ctx),
      },
    ];
  },
  kill: () => [{ op: 'kill' }],
  olderDevice,
  ackThenKill,
  serverCursor,
  catchUpCrash,
  badLogin,
  silentSocket,
};
