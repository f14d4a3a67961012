/**
 * What a step handler may use (a narrow context: the bots it may address, the target, the
 * history — never the runner itself), and how a step stops a case: a precondition that did not
 * hold, or a kit limit.
 */

import { DEFAULT_GRACE_MS } from '../checker/engine.js';
import { graceFor } from '../checker/owed.js';
import type { UnmetPrecondition } from '../checker/types.js';
import type { Driver } from '../drivers/driver.js';
import { ScenarioError } from '../errors.js';
import type { History } from '../history/events.js';
import type { Limits } from '../protocol/frames.js';
import type { Scenario } from '../scenarios/types.js';
import type { CaseBot, OutboxView } from './case-bot.js';
import type { ConditionContext } from './conditions.js';
import type { Target } from './target.js';

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

/** Bots addressed by refs; a step that addresses none is a scenario mistake. */
export function bots(refs: readonly string[], ctx: StepContext): CaseBot[] {
  const out: CaseBot[] = [];
  for (const ref of refs) out.push(...ctx.resolve(ref));
  if (out.length === 0) throw new ScenarioError(`step addresses no bot: ${refs.join(', ')}`);
  return out;
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

/**
 * What a condition reads, from a step context: every bot's outbox, or only the `bots` and the
 * entries `counts` keeps (a `send` step waits on its own messages).
 */
export function conditionContext(
  ctx: StepContext,
  quietMs: number,
  only?: { bots: readonly CaseBot[]; counts: (entry: OutboxView) => boolean },
): ConditionContext {
  return {
    bots: only?.bots ?? ctx.allBots,
    counts: only?.counts,
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
