/**
 * Runs one scenario against one target: creates the bots, plays the timeline, lets the system
 * settle, stops the bots, and hands the history to the (pure) checker.
 */

import { check } from '../checker/index.js';
import type { UnmetPrecondition } from '../checker/types.js';
import type { Driver } from '../drivers/driver.js';
import { History } from '../history/events.js';
import { RawWindowHistory } from '../history/raw-window.js';
import type { Cap, Limits } from '../protocol/frames.js';
import type { CaseOutcome } from '../report/case-result.js';
import type { Scenario } from '../scenarios/types.js';
import type { CaseBot } from './case-bot.js';
import {
  firstLine,
  type LoginRefusal,
  noteRefusals,
  provenStop,
  stopFrame,
  timedOutRequestAt,
  troubleFindings,
  watchTarget,
} from './case-trouble.js';
import { explainUnmet, holds, waitUntil } from './conditions.js';
import type { CaseFaults } from './faults-setup.js';
import type { Account } from './provision.js';
import { sleep } from './step-context.js';
import { conditionContext, KitLimit, PreconditionUnmet, runStep } from './steps.js';
import type { Target } from './target.js';

export interface CaseEnv {
  target: Target;
  driver: Driver;
  /** Capabilities the target claims (from a hello at run start). */
  caps: readonly Cap[];
  /** The limits the target advertises in hello:A (undefined when its protocol has none). */
  limits?: Readonly<Limits> | undefined;
  tokenFor(user: string): string;
  /** Prefix for user names on the target ('' on a fresh embedded server). */
  userPrefix: string;
  seed: number;
  /** Overrides the scenario's own timeout. */
  timeoutMs?: number;
  /** Keep the wire text of only the newest N valid frames (RunOptions.rawWindow). */
  rawWindow?: number;
  makeBot(args: {
    user: string;
    device: string;
    token: string;
    history: History;
    scenario: Scenario;
    /** The driver this bot uses: through the fault proxies when the case has faults. */
    driver: Driver;
  }): CaseBot;
  /**
   * Starts the case's fault proxies once its history exists (faults-setup.ts); bots connect
   * through them, probes go direct. @default no faults
   */
  faults?: (history: History) => Promise<CaseFaults | undefined>;
  /** Called with the case's history before the first step (metrics subscribe here). */
  onHistory?: (history: History) => void;
  /**
   * Creates the case's accounts before its timeline, one after another (provision.ts).
   * @default none: the target needs no accounts
   */
  provision?: (accounts: readonly Account[]) => Promise<void>;
  replay: string;
}

/** KitLimit detail of a deadline that passed between steps. */
const BEFORE_STEP = 'before the step began';

/** After the timeline, how long the case waits at most for in-flight messages to settle. */
const SETTLE_GRACE_MS = 10_000;
/** Past the checker's grace after an unanswered request, before the case ends (timer slack). */
const GRACE_MARGIN_MS = 250;

export async function runCase(scenario: Scenario, env: CaseEnv): Promise<CaseOutcome> {
  const started = performance.now();
  const base = {
    scenario,
    seed: env.seed,
    replay: env.replay,
  };
  const missing = scenario.requires.filter((c) => !env.caps.includes(c));
  // A step that pages backward reads a new device's history (SYNC-2): it needs backward-sync
  // whether or not the case lists it, or the kit's own request would fail as ERROR.
  const backward = scenario.steps.some((s) => s.op === 'page' && s.direction === 'backward');
  if (backward && !env.caps.includes('backward-sync') && !missing.includes('backward-sync')) {
    missing.push('backward-sync');
  }
  if (missing.length > 0) {
    return { ...base, findings: [], events: [], unsupportedCaps: missing, durationMs: 0 };
  }
  if (!env.driver.openRaw && scenario.steps.some((s) => s.op === 'raw' || s.op === 'probe')) {
    return {
      ...base,
      findings: [],
      events: [],
      unsupportedCaps: [`raw frames (the ${env.driver.name} driver cannot send hand-made frames)`],
      durationMs: 0,
    };
  }
  if (scenario.needsTargetControl && !env.target.controllable) {
    return {
      ...base,
      findings: [],
      events: [],
      unsupportedCaps: ['target control (run with --target-cmd, or without --target)'],
      durationMs: 0,
    };
  }

  const history = env.rawWindow === undefined ? new History() : new RawWindowHistory(env.rawWindow);
  let lastEventAt = 0;
  const lastClose = new Map<string, { code: number | undefined }>();
  history.subscribe((e) => {
    lastEventAt = e.t;
    if (e.kind === 'close') lastClose.set(e.actor, { code: e.code });
  });
  env.onHistory?.(history);
  const faults = await env.faults?.(history);
  const watch = watchTarget(env.target, history);
  const refusals: LoginRefusal[] = [];

  const userName = (u: string) => `${env.userPrefix}${u}`;
  const bots: CaseBot[] = [];
  const byUser = new Map<string, CaseBot[]>();
  for (const [user, devices] of Object.entries(scenario.users)) {
    const list: CaseBot[] = [];
    for (const device of devices) {
      const name = userName(user);
      const driver = faults?.driver ?? env.driver;
      const made = env.makeBot({ user: name, device, token: env.tokenFor(name), history, scenario, driver });
      const bot = noteRefusals(made, history, refusals);
      list.push(bot);
      bots.push(bot);
    }
    byUser.set(name(user), list);
  }
  function name(u: string) {
    return userName(u);
  }

  // Accounts first, one after another, before the timeline and its deadline start.
  let error: unknown;
  let provisionedAt: number | undefined;
  try {
    await env.provision?.([...byUser.keys()].map((user) => ({ user, token: env.tokenFor(user) })));
    provisionedAt = history.now();
  } catch (err) {
    error = err;
  }

  const timeoutMs = env.timeoutMs ?? scenario.timeoutMs;
  const deadline = performance.now() + timeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let bodyCounter = 0;
  const cmidCounters = new Map<string, number>();

  const ctx = {
    scenario,
    history,
    target: env.target,
    driver: env.driver,
    allBots: bots,
    resolve(ref: string): CaseBot[] {
      const [user, device] = ref.split('/');
      const list = byUser.get(userName(user!)) ?? [];
      return device === undefined ? list : list.filter((b) => b.device === device);
    },
    devicesOf: (user: string) => byUser.get(user) ?? [],
    userName,
    tokenFor: env.tokenFor,
    remainingMs: () => Math.max(0, deadline - performance.now()),
    signal: abort.signal,
    nextBody(from: string, to: string, size: number, text: 'ascii' | 'unicode' = 'ascii') {
      const head = `${from}>${to}#${++bodyCounter} `;
      return text === 'unicode'
        ? unicodeBody(head, size)
        : head.length >= size
          ? head
          : head + '.'.repeat(size - head.length);
    },
    nextCmid(actor: string, prefix: string) {
      const key = `${actor}\u0000${prefix}`;
      const n = (cmidCounters.get(key) ?? 0) + 1;
      cmidCounters.set(key, n);
      return `${prefix}.${n}`;
    },
    lastEventAt: () => lastEventAt,
    caps: env.caps,
    limits: env.limits,
    captures: new Map<string, unknown>(),
    lastClose: (actor: string) => lastClose.get(actor),
  };

  let kitLimit: string | undefined;
  /** Where and why a case the server's own frame stopped broke off (provenStop). */
  let stoppedEarly: string | undefined;
  const unmet: UnmetPrecondition[] = [];
  /** The step running when the case stopped; undefined while settling after the last one. */
  let current: { index: number; op: string; line: number } | undefined;
  try {
    if (error !== undefined) throw error;
    for (const [index, step] of scenario.steps.entries()) {
      current = { index, op: step.op, line: step.loc.line };
      if (abort.signal.aborted) throw new KitLimit('deadline', BEFORE_STEP);
      faults?.setStep(index);
      history.append({ kind: 'step', t: history.now(), index, label: step.op, line: step.loc.line });
      await runStep(step, ctx);
    }
    current = undefined;
    // Settling counts as the step after the last (a window `until: <steps>` ends with the timeline).
    faults?.setStep(scenario.steps.length);
    // Let in-flight messages settle before judging; the checker decides what did not. Cut short
    // by the case deadline, the case has not seen what became of them: a kit limit.
    const settle = conditionContext(ctx, 0);
    const capped = ctx.remainingMs() < SETTLE_GRACE_MS;
    const settled = await waitUntil(
      () => holds('settled', settle),
      Math.min(SETTLE_GRACE_MS, ctx.remainingMs()),
      10,
      abort.signal,
    );
    if (!settled && (capped || abort.signal.aborted)) {
      throw new KitLimit('deadline', explainUnmet('settled', settle));
    }
  } catch (err) {
    if (err instanceof KitLimit) kitLimit = describeLimit(err, current, timeoutMs);
    else if (err instanceof PreconditionUnmet) unmet.push(err.unmet);
    else error = err;
  } finally {
    clearTimeout(timer);
  }
  // A request the server left unanswered stopped the case: wait out the checker's grace from when
  // it was sent (within the case's time), so an answer that comes late still counts for the
  // server, and silence is judged as RID-1 judges any other (provenStop then holds it to it).
  const askedAt = error === undefined ? undefined : timedOutRequestAt(error, history.events);
  if (askedAt !== undefined) {
    const graceMs = conditionContext(ctx, 0).graceMs + GRACE_MARGIN_MS;
    const wait = Math.min(askedAt + graceMs - history.now(), ctx.remainingMs());
    if (wait > 0) await sleep(wait, abort.signal);
  }
  watch.stop();
  if (error !== undefined) {
    // A crash, or an account the server lost in a restart, is the server's finding, not ERROR.
    const asserts = troubleFindings({
      error,
      events: history.events,
      crashes: watch.crashes(),
      refusals,
      provisionedAt,
    });
    for (const a of asserts) history.append({ ...a, t: history.now() });
    if (asserts.length > 0) error = undefined;
  }
  // The case ends here; the closes that follow are teardown, not disconnections to judge.
  const endT = history.now();
  await Promise.allSettled(bots.map((b) => b.stop()));
  await faults?.close();

  const result = check(history.events, {
    expect: scenario.expect,
    severity: scenario.severity,
    preconditions: scenario.preconditions,
    users: Object.fromEntries([...byUser].map(([u, list]) => [u, list.map((b) => b.device)])),
    caps: [...env.caps],
    endT,
    // The frame a driver refused, if one stopped the case: its finding is the verdict's proof.
    pinned: error === undefined ? [] : [stopFrame(error, history.events)],
  });
  // An answer the driver refused, or a request left unanswered (timed out, or closed on by the
  // server), which the checker holds against the server: FAIL, not ERROR.
  if (error !== undefined && provenStop(error, history.events, result.findings)) {
    stoppedEarly = `${whereIn(current)}: ${firstLine((error as Error).message)}`;
    error = undefined;
  }
  return {
    ...base,
    findings: result.findings,
    stats: result.stats,
    events: history.events,
    ...(error !== undefined ? { error } : {}),
    ...(kitLimit !== undefined ? { kitLimit } : {}),
    ...(stoppedEarly !== undefined ? { stoppedEarly } : {}),
    ...(unmet.length + result.unmet.length > 0 ? { unmet: [...unmet, ...result.unmet] } : {}),
    durationMs: performance.now() - started,
  };
}

/**
 * A kit limit as a verdict reason: which limit, where in the timeline, and how far the case got
 * ("case deadline (5000 ms) passed in step 2 (send, line 14): 499 of 3000 messages sent").
 */
function describeLimit(
  limit: KitLimit,
  step: { index: number; op: string; line: number } | undefined,
  timeoutMs: number,
): string {
  const where = whereIn(step);
  if (limit.kind === 'timeout') return `${where}: ${limit.detail}`;
  if (limit.detail === BEFORE_STEP) return `case deadline (${timeoutMs} ms) passed before ${where}`;
  return `case deadline (${timeoutMs} ms) passed ${step ? 'in ' : 'while '}${where}: ${limit.detail}`;
}

/** Where in the timeline the case was: a step, or the settling after the last one. */
function whereIn(step: { index: number; op: string; line: number } | undefined): string {
  return step ? `step ${step.index + 1} (${step.op}, line ${step.line})` : 'settling after the last step';
}

/** 2-, 3- and 4-byte UTF-8 characters in turn: what a narrow or 3-byte-utf8 column mangles. */
const UNICODE_FILL = ['é', '世', '😀', 'ß', '界', '🎉'];

/** A body of `head` then unicode fill, at most `size` UTF-8 bytes (never cutting a character). */
export function unicodeBody(head: string, size: number): string {
  let out = head;
  let bytes = Buffer.byteLength(head, 'utf8');
  for (let k = 0; ; k++) {
    const ch = UNICODE_FILL[k % UNICODE_FILL.length]!;
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > size) break;
    out += ch;
    bytes += n;
  }
  return out;
}
