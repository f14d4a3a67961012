/**
 * The `send` step: open-model sending, then the wait its `await:` asks for, and the precondition
 * that every awaited message got there.
 */

import type { SendStep } from '../scenarios/types.js';
import type { CaseBot } from './case-bot.js';
import { achievableReceipt, finalStatuses, waitUntil } from './conditions.js';
import { bots, KitLimit, PreconditionUnmet, type StepContext, sleep } from './step-context.js';

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
  if (step.await === 'none') return;
  // Never wait for a receipt the target cannot send (see achievableReceipt).
  const final = finalStatuses(
    achievableReceipt(
      step.await === 'delivered' ? 'delivered' : step.await === 'receipted' ? 'any' : 'none',
      ctx.caps,
    ),
  );
  const ok = await waitUntil(
    () => {
      for (const e of from!.outboxEntries()) if (cmids.has(e.cmid) && !final.has(e.status)) return false;
      return true;
    },
    ctx.remainingMs(),
    10,
    ctx.signal,
  );
  if (!ok) {
    const open = new Map<string, number>();
    for (const e of from!.outboxEntries())
      if (cmids.has(e.cmid) && !final.has(e.status)) open.set(e.status, (open.get(e.status) ?? 0) + 1);
    const n = [...open.values()].reduce((a, b) => a + b, 0);
    const by = [...open].map(([status, k]) => `${k} ${status}`).join(', ');
    throw new KitLimit('deadline', `all ${step.count} sent, ${n} not yet ${step.await} (${by})`);
  }
  assertAwaited(step, cmids, from!, final, ctx);
}

/**
 * A `send` that awaits its messages sets up what the next steps rely on (accepted before the kill,
 * receipted before the receiver logs in): a message the sender gave up on instead, or that the
 * server refused, never got there. That is a precondition that did not hold, not a pass — and not
 * by itself a server fault (the checker judges whether the server left it unanswered).
 */
function assertAwaited(
  step: SendStep,
  cmids: ReadonlySet<string>,
  from: CaseBot,
  final: ReadonlySet<string>,
  ctx: StepContext,
): void {
  const short: string[] = [];
  let n = 0;
  for (const e of from.outboxEntries()) {
    if (!cmids.has(e.cmid)) continue;
    // Given up after a late msg:A (smid known): accepted all the same.
    const reached = e.status === 'gave-up' ? (e.smid === undefined ? 'gave-up' : 'accepted') : e.status;
    if (final.has(reached) && reached !== 'gave-up') continue;
    n++;
    if (short.length < 5) short.push(e.cmid);
  }
  if (n === 0) return;
  const evidence: number[] = [];
  const events = ctx.history.events;
  for (let i = events.length - 1; i >= 0 && evidence.length < short.length; i--) {
    const e = events[i]!;
    if (e.kind === 'give-up' && short.includes(e.cmid)) evidence.push(i);
  }
  throw new PreconditionUnmet({
    precondition: `send (line ${step.loc.line})`,
    expected: `all ${step.count} messages ${step.await} before the next step`,
    actual: `${n} given up (or refused) first: cmid ${short.join(', ')}${n > short.length ? ', …' : ''}`,
    evidence: evidence.reverse(),
  });
}
