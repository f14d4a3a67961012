/**
 * One handler per timeline step, dispatched from one switch. Each handler gets a narrow context:
 * the bots it may address, the target, the history — never the runner itself.
 */

import { DEFAULT_GRACE_MS } from '../checker/engine.js';
import { graceFor } from '../checker/owed.js';
import type { UnmetPrecondition } from '../checker/types.js';
import type { Driver } from '../drivers/driver.js';
import { InternalError, ScenarioError } from '../errors.js';
import type { History } from '../history/events.js';
import type { Limits } from '../protocol/frames.js';
import type { ProbeStep, Scenario, SendStep, Step } from '../scenarios/types.js';
import type { CaseBot } from './case-bot.js';
import {
  achievableReceipt,
  type ConditionContext,
  explainUnmet,
  finalStatuses,
  holds,
  waitUntil,
} from './conditions.js';
import { rawAsProbe, runProbe } from './probe.js';
import type { Target } from './target.js';
import { waitMs } from './wait-ms.js';

export interface StepContext {
  scenario: Scenario;
  history: History;
  target: Target;
  driver: Driver;
  /** Bots addressed by a ref: "alice" → every device of alice, "alice/phone" → one. */
  resolve(ref: string): CaseBot[];
  devicesOf(user: string): CaseBot[];
  allBots: readonly CaseBot[];
  /** Scenario user name → name on the target (a prefix isolates runs on a shared target). */
  userName(user: string): string;
  tokenFor(user: string): string;
  /** Capabilities the target claims. */
  caps: readonly string[];
  /** The limits the target advertises in hello:A, for probes and waits that wait on one. */
  limits: Readonly<Limits> | undefined;
  /** Milliseconds left before the case deadline. */
  remainingMs(): number;
  signal: AbortSignal;
  /** Unique message bodies across the case. */
  nextBody(from: string, to: string, size: number, text?: 'ascii' | 'unicode'): string;
  /** The next cmid of `actor` under `prefix` (send.cmids). */
  nextCmid(actor: string, prefix: string): string;
  lastEventAt(): number;
  /** The last close event of an actor in this case. */
  lastClose(actor: string): { code: number | undefined } | undefined;
  /** Values captured by probes, shared across the case. */
  captures: Map<string, unknown>;
}

/**
 * A precondition a step sets up did not hold (a `send` that awaits acceptance got a message given
 * up instead): the case stops there, and is INCONCLUSIVE unless a MUST finding stands.
 */
export class PreconditionUnmet extends Error {
  constructor(readonly unmet: UnmetPrecondition) {
    super(`${unmet.precondition}: ${unmet.actual}`);
  }
}

/**
 * The kit ran out of its own time in a step: the case deadline passed (`deadline`), or the step's
 * own timeout did (`timeout`, a `waitFor`). The case stops there, the checker judges what happened,
 * and the verdict is ERROR (a kit limit, never a server requirement) unless a MUST finding stands.
 * `detail` says how far the step got ("499 of 3000 messages sent").
 */
export class KitLimit extends Error {
  constructor(
    readonly kind: 'deadline' | 'timeout',
    readonly detail: string,
  ) {
    super(detail);
  }
}

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

function bots(refs: readonly string[], ctx: StepContext): CaseBot[] {
  const out: CaseBot[] = [];
  for (const ref of refs) out.push(...ctx.resolve(ref));
  if (out.length === 0) throw new ScenarioError(`step addresses no bot: ${refs.join(', ')}`);
  return out;
}

/** What a condition reads, from a step context. */
export function conditionContext(ctx: StepContext, quietMs: number): ConditionContext {
  return {
    bots: ctx.allBots,
    devicesOf: (user) => ctx.devicesOf(user),
    receipt: ctx.scenario.expect.receipt,
    lastEventAt: ctx.lastEventAt,
    now: () => ctx.history.now(),
    quietMs,
    caps: ctx.caps,
    graceMs: graceFor(DEFAULT_GRACE_MS, ctx.limits?.repushMs ?? 0),
    receiptClock: new Map(),
  };
}

/**
 * Open-model sending: message i is due at start + i/rate whatever the server does, so a slow
 * server cannot slow the offered load (docs/architecture.md, "Performance budget"). Late messages are sent at once.
 */
async function runSend(step: SendStep, ctx: StepContext): Promise<void> {
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

/**
 * SHUT-1: after SIGTERM, every connection that was up is closed by the server with 1001. Only the
 * events since the signal are read (a short slice, not a search of the history).
 */
async function assertGoingAway(actors: readonly string[], from: number, ctx: StepContext): Promise<void> {
  const closes = new Map<string, number | undefined>();
  const all = await waitUntil(
    () => {
      for (let i = from; i < ctx.history.events.length; i++) {
        const e = ctx.history.events[i]!;
        if (e.kind === 'close' && !closes.has(e.actor)) closes.set(e.actor, e.code);
      }
      return actors.every((a) => closes.has(a));
    },
    2_000,
    10,
    ctx.signal,
  );
  if (!all && ctx.signal.aborted) {
    throw new KitLimit(
      'deadline',
      `${actors.length - closes.size} of ${actors.length} connections not closed yet`,
    );
  }
  for (const actor of actors) {
    const code = closes.get(actor);
    ctx.history.append({
      kind: 'assert',
      t: ctx.history.now(),
      requirement: 'SHUT-1',
      ok: code === 1001,
      expected: 'close 1001 (going away) on SIGTERM',
      actual: closes.has(actor) ? `close ${code ?? '(no code)'}` : 'no close seen',
      actor,
    });
  }
}

/**
 * NEWDEV-1 / SYNC-2 / SYNC-4: paging to the end reaches every seq of the range it walked exactly
 * once — from 1 to maxSeq for a device with nothing stored, otherwise only the part past what the
 * device already held (a forward walk after its watermark, a backward walk below its oldest), or
 * a device paging while pushes are still arriving would be owed seqs it never asked for.
 */
function assertCompletePaging(
  view: { seqs: number[]; maxSeq: number; from?: number },
  direction: 'forward' | 'backward',
  ctx: StepContext,
) {
  const low = direction === 'forward' ? (view.from ?? 0) + 1 : 1;
  const high =
    direction === 'backward' && view.from !== undefined ? Math.min(view.maxSeq, view.from - 1) : view.maxSeq;
  const seen = new Set(view.seqs);
  const missing: number[] = [];
  for (let s = low; s <= high && missing.length < 5; s++) if (!seen.has(s)) missing.push(s);
  const repeated = view.seqs.length - seen.size;
  ctx.history.append({
    kind: 'assert',
    t: ctx.history.now(),
    requirement: direction === 'backward' ? 'SYNC-2' : 'SYNC-4',
    ok: missing.length === 0 && repeated === 0,
    expected: `${direction} paging to the end returns seq ${low}…${high} once each`,
    actual:
      missing.length === 0 && repeated === 0
        ? `${view.seqs.length} messages`
        : `${missing.length ? `missing ${missing.join(', ')}` : ''}${repeated ? ` ${repeated} repeated` : ''}`.trim(),
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
