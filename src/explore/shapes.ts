/**
 * Composite shapes of the delivery model: sequences of plain operations that random draws almost
 * never line up, each aimed at a rule, never at one server's defect. The generator draws them like
 * any operation (weights in config.ts), each only when the target can do what it needs.
 */

import { between, type DrawContext, pick, pickOnline, sendOp } from './draw.js';
import { type BotRef, type Operation, userOf } from './operations.js';

/** Logs `bot` in (plainly) unless it is online already. */
function ensureOnline(ctx: DrawContext, bot: BotRef, ops: Operation[]): void {
  if (ctx.online.has(bot)) return;
  ctx.online.add(bot);
  ops.push({ op: 'connect', bot, state: 'keep' });
}

/** An online sender outside `user`, logging one in when none is online. */
function senderFor(ctx: DrawContext, user: string, ops: Operation[]): BotRef {
  const online = [...ctx.online].find((b) => userOf(b) !== user);
  if (online !== undefined) return online;
  const from = pick(
    ctx.rng,
    ctx.bots.filter((b) => userOf(b) !== user),
  );
  ensureOnline(ctx, from, ops);
  return from;
}

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
export function olderDevice(ctx: DrawContext): Operation[] {
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

/**
 * Durability at the edge (MSG-1, DUR-1, MSG-2): a send answered by msg:A, then kill -9 at once.
 * msg:A says the message is durable, so it must survive the kill; messages sent after the restart
 * must get smids of their own, never one of a message stored before it.
 */
export function ackThenKill(ctx: DrawContext): Operation[] {
  const ops: Operation[] = [];
  const from = pickOnline(ctx) ?? pick(ctx.rng, ctx.bots);
  ensureOnline(ctx, from, ops);
  const to = pick(
    ctx.rng,
    Object.keys(ctx.users).filter((u) => u !== userOf(from)),
  );
  const count = between(ctx.rng, { min: 1, max: 3 });
  ops.push({ ...sendOp(ctx, from, to), count, rate: 0, await: 'accepted' }, { op: 'kill' });
  if (ctx.rng.chance(0.7))
    ops.push({ ...sendOp(ctx, from, to), count: between(ctx.rng, { min: 1, max: 3 }) });
  return ops;
}

/**
 * A device trusts the server's cursor (`state: server`, DUR-2, MDEV-1, ACK-4): its user receives
 * messages that some device of it acks (the send waits for the delivered receipt), then the
 * device logs in with no lastSeq. With a sibling, the device was away and the sibling acked: the
 * server must still count the messages pending for it (one cursor per device, MDEV-1). Alone, it
 * acked them itself and left, and the server may be killed meanwhile: its cursor must survive the
 * restart (DUR-2). Needs delivered receipts (the await) — and kill -9 for the restart.
 */
export function serverCursor(ctx: DrawContext): Operation[] {
  const { rng } = ctx;
  const user = pick(rng, Object.keys(ctx.users));
  const devices = ctx.users[user]!;
  const device = `${user}/${pick(rng, devices)}`;
  const sibling = devices.map((d) => `${user}/${d}`).find((b) => b !== device);
  const ops: Operation[] = [];
  if (sibling !== undefined && rng.chance(0.7)) {
    // The device has logged in before (a first login is plain, and reveals no stored cursor).
    ensureOnline(ctx, device, ops);
    ensureOnline(ctx, sibling, ops);
    if (ctx.online.delete(device)) ops.push({ op: 'disconnect', bot: device, mode: 'clean' });
    ops.push({ op: 'behave', bot: sibling });
    ops.push({ ...sendOp(ctx, senderFor(ctx, user, ops), user), await: 'delivered' });
  } else {
    if (!ctx.target.canKill) return [];
    ensureOnline(ctx, device, ops);
    ops.push({ op: 'behave', bot: device });
    ops.push({ ...sendOp(ctx, senderFor(ctx, user, ops), user), await: 'delivered' });
    ctx.online.delete(device);
    ops.push({ op: 'disconnect', bot: device, mode: 'clean' }, { op: 'kill' });
  }
  ctx.online.add(device);
  ops.push({ op: 'connect', bot: device, state: 'server' });
  return ops;
}

/**
 * A device crashes in the middle of catching up (SYNC-3, REPUSH-1/2, ACK-4): its user is away while
 * a backlog arrives; one device logs back in and drops its socket a moment later, while pages or
 * re-pushes are still coming, then logs in again, with its own state or trusting the server's
 * cursor. What its acks (ack:R, or ackUpTo riding on a page request) confirmed must stay acked.
 */
export function catchUpCrash(ctx: DrawContext): Operation[] {
  const { rng } = ctx;
  const user = pick(rng, Object.keys(ctx.users));
  const ops: Operation[] = [];
  for (const bot of [...ctx.online].filter((b) => userOf(b) === user)) {
    ctx.online.delete(bot);
    ops.push({ op: 'disconnect', bot, mode: 'clean' });
  }
  const from = senderFor(ctx, user, ops);
  ops.push({
    ...sendOp(ctx, from, user),
    count: between(rng, ctx.config.send.burstCount),
    await: 'accepted',
  });
  const device = `${user}/${pick(rng, ctx.users[user]!)}`;
  // Catch-up in many small pages, so the crash lands between a page whose ack rode on the next
  // request and the closing ack:R (the pages' ackUpTo is then all that moved the cursor).
  if (ctx.target.caps.includes('paged-sync')) ctx.pageSize ??= between(rng, { min: 2, max: 6 });
  const waitMs = between(rng, { min: 10, max: 80 });
  ops.push(
    // The crash lands on a page (the 2nd to 4th), not on a timer: a timed crash 10-80 ms after
    // login missed the catch-up once the server paged faster (SYNC-3 went unfound in 110 cases).
    // The page is drawn from the wait, so the seeded cases stay the ones they were.
    { op: 'misbehave', bot: device, crashInSync: 2 + (waitMs % 3) },
    { op: 'connect', bot: device, state: 'keep' },
    // Without a paged catch-up (a backlog the server pushes), the crash comes after the wait.
    { op: 'wait', ms: waitMs },
    { op: 'disconnect', bot: device, mode: 'crash' },
    { op: 'behave', bot: device },
    { op: 'connect', bot: device, state: rng.chance(0.7) ? 'server' : 'keep' },
  );
  ctx.online.add(device);
  return ops;
}

/** A login with a wrong token, on a socket of its own: refused with auth-failed (AUTH-2). */
export function badLogin(ctx: DrawContext): Operation[] {
  return [{ op: 'badLogin', bot: pick(ctx.rng, ctx.bots) }];
}

/** A socket that never says hello: closed with 4408 after the advertised hello timeout (AUTH-4). */
export function silentSocket(ctx: DrawContext): Operation[] {
  const helloTimeoutMs = ctx.target.helloTimeoutMs;
  if (helloTimeoutMs === undefined) return [];
  return [{ op: 'silentSocket', bot: pick(ctx.rng, ctx.bots), helloTimeoutMs }];
}
