/**
 * Conditions a `waitFor` step waits on, evaluated over the bots' own state (never the history,
 * which is append-only and not searched while a case runs).
 */

import { owedTo } from '../checker/owed.js';
import type { WaitForStep } from '../scenarios/types.js';
import type { CaseBot, OutboxView } from './case-bot.js';

export type Condition = WaitForStep['condition'];

export interface ConditionContext {
  bots: readonly CaseBot[];
  /** Which outbox entries of `bots` the condition is about; all when absent. */
  counts?: (entry: OutboxView) => boolean;
  /** user → that user's bots (devices). */
  devicesOf: (user: string) => readonly CaseBot[];
  /** Which receipt settles a message: `delivered`, `any` (stored or delivered), or none. */
  receipt: 'none' | 'any' | 'delivered';
  /** Time of the last history event, for `quiet`. */
  lastEventAt: () => number;
  now: () => number;
  quietMs: number;
  /** Receipts the target can send; a condition never waits for a receipt that cannot come. */
  caps: readonly string[];
  /** The checker's grace (checker/owed.ts graceFor): how long a connected sender waits for a receipt. */
  graceMs: number;
  /**
   * Per message (sender actor + cmid): when this wait first saw it stored, committed by its
   * receiver and its sender connected. Owned by one wait; see `deliveredReceiptPast`.
   */
  receiptClock: Map<string, number>;
}

const FINAL_ACCEPTED = new Set(['accepted', 'stored', 'delivered', 'gave-up']);
const FINAL_RECEIPTED = new Set(['stored', 'delivered', 'gave-up']);
const FINAL_DELIVERED = new Set(['delivered', 'gave-up']);

function everyOutboxEntry(ctx: ConditionContext, final: ReadonlySet<string>): boolean {
  // Waiting for delivered receipts visits every entry even after one is not final, so that each
  // stored message's grace clock starts at once rather than one after another.
  let all = true;
  for (const bot of ctx.bots) {
    for (const entry of bot.outboxEntries()) {
      if (final.has(entry.status) || (ctx.counts && !ctx.counts(entry))) continue;
      if (final !== FINAL_DELIVERED) return false;
      if (!deliveredReceiptPast(ctx, bot, entry)) all = false;
    }
  }
  return all;
}

/**
 * A stored message whose delivered receipt may never come, by RCPT-2: the receipt goes to the
 * sender's devices connected when the receiver's ack first covers the message, and a sender that
 * was offline then (its stored receipt had already ended the retransmission) recovers none. So once
 * the receiver committed it and the sender has stayed connected for the checker's grace (and a
 * margin) without it, the wait has nothing more to wait for: the checker, which sees when the ack
 * came, judges whether the receipt was owed to this connection (RCPT-2) or to one that is gone.
 */
export function deliveredReceiptPast(ctx: ConditionContext, sender: CaseBot, entry: OutboxView): boolean {
  if (entry.status !== 'stored' || entry.smid === undefined) return false;
  const key = `${sender.actor}\u0000${entry.cmid}`;
  if (!sender.connected) {
    ctx.receiptClock.delete(key);
    return false;
  }
  const smid = entry.smid;
  if (!ctx.devicesOf(entry.to).some((d) => d.hasCommitted(smid))) return false;
  const since = ctx.receiptClock.get(key);
  if (since === undefined) {
    ctx.receiptClock.set(key, ctx.now());
    return false;
  }
  return ctx.now() - since >= ctx.graceMs + ACK_MARGIN_MS;
}

/**
 * Added to the grace: the wait sees a commit, which comes before the ack (batched, maybe delayed)
 * whose answer the checker counts its grace from. Without it the case could end just short of the
 * grace and a receipt the server truly owed would go unjudged.
 */
const ACK_MARGIN_MS = 2_000;

/**
 * A connected device that is owed the accepted message `entry` and has not committed it. A device
 * that is offline is not waited for: it will catch up when it connects, and the checker judges the
 * end. Nor is one the message is not owed to, by the checker's own rule (checker/owed.ts): a device
 * that first logged in after the message was stored (NEWDEV-1), or one that committed it before a
 * reinstall — the server rightly never sends those, so waiting for them could only time out.
 */
function awaits(ctx: ConditionContext, receiver: CaseBot, entry: OutboxView): boolean {
  const smid = entry.smid;
  if (smid === undefined || !receiver.connected || receiver.hasCommitted(smid)) return false;
  // Its seq, when a device of the receiver has it: exact against the device's starting point.
  let seq: number | undefined;
  for (const d of ctx.devicesOf(entry.to)) {
    seq = d.seqOf(smid);
    if (seq !== undefined) break;
  }
  // The first msg:R: the earliest the server can have stored it.
  const storedFrom = Number.isNaN(entry.sentAt) ? Number.POSITIVE_INFINITY : entry.sentAt;
  return owedTo(receiver.start, seq, storedFrom);
}

/** Every accepted message is committed by every connected device of its receiver owed it. */
function everyAcceptedCommitted(ctx: ConditionContext): boolean {
  for (const bot of ctx.bots) {
    for (const entry of bot.outboxEntries()) {
      if (entry.smid === undefined || (ctx.counts && !ctx.counts(entry))) continue;
      for (const receiver of ctx.devicesOf(entry.to)) if (awaits(ctx, receiver, entry)) return false;
    }
  }
  return true;
}

/**
 * A receipt expectation the target can meet: a server without `delivered-receipt` (MQTT, say)
 * never says delivered, so waiting for it would only time out; the checker judges what it can.
 */
export function achievableReceipt(
  receipt: 'none' | 'any' | 'delivered',
  caps: readonly string[],
): 'none' | 'any' | 'delivered' {
  const delivered = caps.includes('delivered-receipt');
  const stored = caps.includes('standin-receipt');
  if (receipt === 'delivered') return delivered ? 'delivered' : stored ? 'any' : 'none';
  if (receipt === 'any') return delivered || stored ? 'any' : 'none';
  return 'none';
}

/** The outbox statuses at which a message waited on for `receipt` is final. */
export function finalStatuses(receipt: 'none' | 'any' | 'delivered'): ReadonlySet<string> {
  return receipt === 'delivered' ? FINAL_DELIVERED : receipt === 'any' ? FINAL_RECEIPTED : FINAL_ACCEPTED;
}

/**
 * The condition a wait can reach on this target, and the outbox statuses final for it: without
 * any receipt capability a message is as final as it gets once accepted, and without delivered
 * receipts once receipted; `settled` is capped by the caps the same way (MQTT never sends one).
 */
export function reachable(
  condition: Exclude<Condition, 'quiet'>,
  ctx: ConditionContext,
): { c: Exclude<Condition, 'quiet'>; final: ReadonlySet<string> } {
  let c = condition;
  const noReceipts = achievableReceipt('any', ctx.caps) === 'none';
  if (noReceipts && (c === 'receipted' || c === 'delivered')) c = 'accepted';
  if (c === 'delivered' && !ctx.caps.includes('delivered-receipt')) c = 'receipted';
  const final =
    c === 'settled'
      ? finalStatuses(achievableReceipt(ctx.receipt, ctx.caps))
      : c === 'receipted'
        ? FINAL_RECEIPTED
        : c === 'delivered'
          ? FINAL_DELIVERED
          : FINAL_ACCEPTED;
  return { c, final };
}

/** `committed` and `settled` also wait for every owed receiver device to commit. */
const waitsForCommits = (c: Condition): boolean => c === 'committed' || c === 'settled';

export function holds(condition: Condition, ctx: ConditionContext): boolean {
  if (condition === 'quiet') return ctx.now() - ctx.lastEventAt() >= ctx.quietMs;
  const { c, final } = reachable(condition, ctx);
  return everyOutboxEntry(ctx, final) && (!waitsForCommits(c) || everyAcceptedCommitted(ctx));
}

/**
 * Why a condition does not hold, in numbers: how far the case got ("3 of 300 messages not yet
 * receipted (2 pending, 1 accepted); 2 accepted messages not committed by bob/phone"). For a kit
 * limit's reason, so an ERROR says what the case was still waiting for.
 */
export function explainUnmet(condition: Condition, ctx: ConditionContext): string {
  if (condition === 'quiet') {
    return `last event ${Math.round(ctx.now() - ctx.lastEventAt())} ms ago, ${ctx.quietMs} ms of quiet wanted`;
  }
  const { c, final } = reachable(condition, ctx);
  let total = 0;
  const open = new Map<string, number>();
  const uncommitted = new Map<string, number>();
  for (const bot of ctx.bots) {
    for (const entry of bot.outboxEntries()) {
      if (ctx.counts && !ctx.counts(entry)) continue;
      total++;
      if (!final.has(entry.status)) open.set(entry.status, (open.get(entry.status) ?? 0) + 1);
      if (entry.smid === undefined || !waitsForCommits(c)) continue;
      for (const receiver of ctx.devicesOf(entry.to)) {
        if (awaits(ctx, receiver, entry)) {
          uncommitted.set(receiver.actor, (uncommitted.get(receiver.actor) ?? 0) + 1);
        }
      }
    }
  }
  const parts: string[] = [];
  const notFinal = [...open.values()].reduce((a, b) => a + b, 0);
  if (notFinal > 0) {
    const word = waitsForCommits(c) ? finalWord(final) : c;
    const by = [...open].map(([status, n]) => `${n} ${status}`).join(', ');
    parts.push(`${notFinal} of ${total} messages not yet ${word} (${by})`);
  }
  for (const [actor, n] of uncommitted) parts.push(`${n} accepted messages not committed by ${actor}`);
  // The likely cause first: a wait on devices the target no longer lets in.
  const unreachable = explainUnreachable(ctx.bots);
  if (unreachable !== '') parts.unshift(unreachable);
  return parts.length > 0 ? parts.join('; ') : `${condition} holds now`;
}

/**
 * Devices that mean to be online and whose reconnections fail, grouped by what they failed with:
 * "alice/phone, bob/phone could not reconnect from 2034 ms on (6 attempts; last: connect
 * ECONNREFUSED 127.0.0.1:7400)". '' when there are none.
 */
export function explainUnreachable(bots: readonly CaseBot[]): string {
  const byError = new Map<string, { actors: string[]; since: number; attempts: number }>();
  for (const bot of bots) {
    const f = bot.reconnectFailure;
    if (f === undefined) continue;
    const g = byError.get(f.error);
    if (g === undefined) byError.set(f.error, { actors: [bot.actor], since: f.since, attempts: f.attempts });
    else {
      g.actors.push(bot.actor);
      g.since = Math.min(g.since, f.since);
      g.attempts = Math.max(g.attempts, f.attempts);
    }
  }
  return [...byError]
    .map(
      ([error, g]) =>
        `${g.actors.join(', ')} could not reconnect from ${Math.round(g.since)} ms on (${g.attempts} attempt${g.attempts === 1 ? '' : 's'}; last: ${error})`,
    )
    .join('; ');
}

function finalWord(final: ReadonlySet<string>): string {
  return final === FINAL_DELIVERED ? 'delivered' : final === FINAL_RECEIPTED ? 'receipted' : 'accepted';
}

/** Polls `holds` until it is true or the deadline passes; resolves whether it held. */
export async function waitUntil(
  test: () => boolean,
  timeoutMs: number,
  pollMs = 10,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() >= deadline || signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}
