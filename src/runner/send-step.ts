/**
 * The `send` step: open-model sending, then the wait its `await:` asks for, and the precondition
 * that every awaited message got there.
 */

import type { SendStep } from '../scenarios/types.js';
import type { CaseBot } from './case-bot.js';
import { explainUnmet, holds, reachable, waitUntil } from './conditions.js';
import {
  bots,
  conditionContext,
  KitLimit,
  PreconditionUnmet,
  type StepContext,
  sleep,
} from './step-context.js';

/**
 * Open-model sending: message i is due at start + i/rate whatever the server does, so a slow
 * server cannot slow the offered load (docs/architecture.md, "Performance budget"). Late messages are sent at once.
 */
export async function runSend(step: SendStep, ctx: StepContext): Promise<void> {
  const [from] = bots([step.from], ctx);
  const to = ctx.userName(step.to);
  const cmids = new Set<string>();
  const start = performance.now();
  for (let i = 0; i < step.count; i++) {
    if (step.rate > 0) {
      const wait = start + (i * 1000) / step.rate - performance.now();
      if (wait > 1) await sleep(wait, ctx.signal);
    } else if (i > 0 && i % 256 === 0) {
      // Yield now and then so frames flow while a large burst is issued.
      await new Promise((r) => setImmediate(r));
    }
    if (ctx.signal.aborted) throw new KitLimit('deadline', `${i} of ${step.count} messages sent`);
    const body = ctx.nextBody(from!.actor, to, step.size, step.text);
    const cmid = step.cmids === undefined ? undefined : ctx.nextCmid(from!.actor, step.cmids);
    cmids.add(from!.send(to, body, cmid));
  }
  const condition = step.await;
  if (condition === 'none') return;
  // The same condition a `waitFor` reads, over this step's messages only: it never waits for a
  // receipt the target cannot send, nor for a delivered receipt owed to a connection that is gone.
  const awaited = conditionContext(ctx, 0, { bots: [from!], counts: (e) => cmids.has(e.cmid) });
  const ok = await waitUntil(() => holds(condition, awaited), ctx.remainingMs(), 10, ctx.signal);
  if (!ok) {
    throw new KitLimit('deadline', `all ${step.count} sent, ${explainUnmet(condition, awaited)}`);
  }
  assertAwaited(step, cmids, from!, reachable(condition, awaited).final, ctx);
}

/**
 * A `send` that awaits its messages sets up what the next steps rely on (accepted before the kill,
 * receipted before the receiver logs in). A message the sender gave up on instead, or that the
 * server refused, never got there; a message still only stored when the wait ended (its receiver
 * committed it, and its sender stayed connected past the checker's grace without the delivered
 * receipt) is not delivered either. That is a precondition that did not hold, not a pass — and not
 * by itself a server fault: the checker judges whether the server left it unanswered (RCPT-2 says
 * whether that receipt was owed to this connection).
 */
function assertAwaited(
  step: SendStep,
  cmids: ReadonlySet<string>,
  from: CaseBot,
  final: ReadonlySet<string>,
  ctx: StepContext,
): void {
  const gaveUp: string[] = [];
  const stored: string[] = [];
  for (const e of from.outboxEntries()) {
    if (!cmids.has(e.cmid)) continue;
    // Given up after a late msg:A (smid known): accepted all the same.
    const reached = e.status === 'gave-up' ? (e.smid === undefined ? 'gave-up' : 'accepted') : e.status;
    if (final.has(reached) && reached !== 'gave-up') continue;
    (reached === 'stored' ? stored : gaveUp).push(e.cmid);
  }
  if (gaveUp.length + stored.length === 0) return;
  const listed = (cmids: string[]) => `cmid ${cmids.slice(0, 5).join(', ')}${cmids.length > 5 ? ', …' : ''}`;
  const actual: string[] = [];
  if (gaveUp.length > 0) actual.push(`${gaveUp.length} given up (or refused) first: ${listed(gaveUp)}`);
  if (stored.length > 0) {
    actual.push(
      `${stored.length} committed by the receiver but only stored for the sender: ${listed(stored)}`,
    );
  }
  throw new PreconditionUnmet({
    precondition: `send (line ${step.loc.line})`,
    expected: `all ${step.count} messages ${step.await} before the next step`,
    actual: actual.join('; '),
    evidence: evidenceOf(ctx, new Set([...gaveUp.slice(0, 5), ...stored.slice(0, 5)])),
  });
}

/** The give-up and stored-receipt events of the messages named, oldest first. */
function evidenceOf(ctx: StepContext, cmids: ReadonlySet<string>): number[] {
  const evidence: number[] = [];
  const events = ctx.history.events;
  for (let i = events.length - 1; i >= 0 && evidence.length < cmids.size; i--) {
    const e = events[i]!;
    if (e.kind === 'give-up' && cmids.has(e.cmid)) evidence.push(i);
    else if (e.kind === 'receipt' && e.status === 'stored' && cmids.has(e.cmid)) evidence.push(i);
  }
  return evidence.reverse();
}
