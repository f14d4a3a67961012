/**
 * One handler per timeline step, dispatched from one switch. Each handler gets a narrow context:
 * the bots it may address, the target, the history — never the runner itself.
 */

import { InternalError } from '../errors.js';
import type { ProbeStep, Step } from '../scenarios/types.js';
import { explainUnmet, holds, waitUntil } from './conditions.js';
import { rawAsProbe, runProbe } from './probe.js';
import { runSend } from './send-step.js';
import { assertCompletePaging, assertGoingAway } from './step-asserts.js';
import { bots, conditionContext, KitLimit, type StepContext, sleep } from './step-context.js';
import { waitMs } from './wait-ms.js';

export { conditionContext, KitLimit, PreconditionUnmet, type StepContext } from './step-context.js';

export async function runStep(step: Step, ctx: StepContext): Promise<void> {
  switch (step.op) {
    case 'connect':
      await Promise.all(bots(step.bots, ctx).map((b) => b.connect(step.state)));
      return;
    case 'disconnect':
      await Promise.all(bots(step.bots, ctx).map((b) => b.disconnect(step.mode)));
      return;
    case 'send':
      await runSend(step, ctx);
      return;
    case 'wait': {
      const ms = waitMs(step, ctx.limits);
      const cut = ms > ctx.remainingMs();
      await sleep(Math.min(ms, ctx.remainingMs()), ctx.signal);
      if (cut) throw new KitLimit('deadline', `${ms} ms wait cut short`);
      return;
    }
    case 'waitFor': {
      const cond = conditionContext(ctx, step.quietMs);
      const capped = ctx.remainingMs() < step.timeoutMs;
      const ok = await waitUntil(
        () => holds(step.condition, cond),
        Math.min(step.timeoutMs, ctx.remainingMs()),
        10,
        ctx.signal,
      );
      if (!ok) {
        // Not a server requirement: the checker judges what the server did; the kit only ran out
        // of the time the scenario gave it.
        const why = explainUnmet(step.condition, cond);
        if (capped || ctx.signal.aborted)
          throw new KitLimit('deadline', `${step.condition} not reached: ${why}`);
        throw new KitLimit('timeout', `${step.condition} not reached within ${step.timeoutMs} ms: ${why}`);
      }
      return;
    }
    case 'target': {
      const connected = ctx.allBots.filter((b) => b.connected).map((b) => b.actor);
      const from = ctx.history.events.length;
      ctx.history.append({ kind: 'target', t: ctx.history.now(), action: step.action });
      await ctx.target.act(step.action, step.restart);
      if (step.action === 'term') await assertGoingAway(connected, from, ctx);
      if (step.restart && (step.action === 'kill' || step.action === 'term')) {
        ctx.history.append({ kind: 'target', t: ctx.history.now(), action: 'restart', detail: 'same data' });
      }
      return;
    }
    case 'misbehave': {
      const { op: _op, loc: _loc, bots: refs, ...flags } = step;
      for (const b of bots(refs, ctx)) b.misbehave(flags);
      return;
    }
    case 'behave':
      for (const b of bots(step.bots, ctx)) b.behave();
      return;
    case 'page': {
      const [bot] = bots([step.bot], ctx);
      const view = await bot!.page(step.direction, step.limit, step.pages);
      if (step.pages === 0) assertCompletePaging(view, step.direction, ctx);
      return;
    }
    case 'raw': {
      const [bot] = bots([step.bot], ctx);
      await recordProbe(rawAsProbe(step, bot!.user, `${bot!.device}-probe`), ctx, bot!.actor);
      return;
    }
    case 'probe': {
      const user = ctx.userName(step.user);
      await recordProbe({ ...step, user }, ctx, `${user}/${step.device}~probe`);
      return;
    }
    case 'expectSession': {
      const [bot] = bots([step.bot], ctx);
      const session = bot!.lastSession;
      const checks: [string, number | undefined, number | undefined][] = [
        ['maxSeq', step.maxSeq, session?.maxSeq],
        ['pending', step.pending, session?.pending],
      ];
      for (const [name, want, got] of checks) {
        if (want === undefined) continue;
        ctx.history.append({
          kind: 'assert',
          t: ctx.history.now(),
          requirement: step.requirement,
          ok: want === got,
          expected: `hello:A ${name} = ${want}`,
          actual: session ? `${name} = ${got}` : 'no session',
          actor: bot!.actor,
        });
      }
      return;
    }
    case 'expectClosed': {
      const [bot] = bots([step.bot], ctx);
      let close: { code: number | undefined } | undefined;
      const capped = ctx.remainingMs() < EXPECT_CLOSED_MS;
      await waitUntil(
        () => {
          close = ctx.lastClose(bot!.actor);
          return close?.code === step.code;
        },
        Math.min(EXPECT_CLOSED_MS, ctx.remainingMs()),
        10,
        ctx.signal,
      );
      if (!close && capped) throw new KitLimit('deadline', `${bot!.actor} still open, no close seen yet`);
      ctx.history.append({
        kind: 'assert',
        t: ctx.history.now(),
        requirement: step.requirement,
        ok: close?.code === step.code,
        expected: `connection closed by the server with ${step.code}`,
        actual: close ? `close ${close.code ?? '(no code)'}` : 'still open',
        actor: bot!.actor,
      });
      return;
    }
    default:
      throw new InternalError(`unknown step ${(step as { op: string }).op}`);
  }
}

/** How long `expectClosed` waits for the close. */
const EXPECT_CLOSED_MS = 2_000;
async function recordProbe(step: ProbeStep, ctx: StepContext, actor: string): Promise<void> {
  const outcomes = await runProbe(step, {
    driver: ctx.driver,
    history: ctx.history,
    tokenFor: ctx.tokenFor,
    userName: ctx.userName,
    captures: ctx.captures,
    limits: ctx.limits,
    remainingMs: ctx.remainingMs,
  });
  // An answer the probe stopped waiting for because the case deadline came first proves nothing.
  const cut = outcomes.find((o) => o.timedOut && o.cut !== undefined);
  if (cut) throw new KitLimit('deadline', `probe waiting for ${cut.expected}: ${cut.actual} (${cut.cut})`);
  for (const o of outcomes) {
    ctx.history.append({
      kind: 'assert',
      t: ctx.history.now(),
      requirement: o.requirement,
      ok: o.ok,
      expected: o.expected,
      actual: o.actual,
      actor,
    });
  }
}
