/**
 * Runs one scenario against one target: creates the bots, plays the timeline, lets the system
 * settle, stops the bots, and hands the history to the (pure) checker.
 */

import { check } from '../checker/index.js';
import type { Driver } from '../drivers/driver.js';
import { History } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import type { CaseOutcome } from '../report/case-result.js';
import type { Scenario } from '../scenarios/types.js';
import type { CaseBot } from './case-bot.js';
import { holds, waitUntil } from './conditions.js';
import type { CaseFaults } from './faults-setup.js';
import { conditionContext, runStep, StepUnmet } from './steps.js';
import type { Target } from './target.js';

export interface CaseEnv {
  target: Target;
  driver: Driver;
  /** Capabilities the target claims (from a hello at run start). */
  caps: readonly Cap[];
  tokenFor(user: string): string;
  /** Prefix for user names on the target ('' on a fresh embedded server). */
  userPrefix: string;
  seed: number;
  /** Overrides the scenario's own timeout. */
  timeoutMs?: number;
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
  replay: string;
}

/** After the timeline, how long the case waits at most for in-flight messages to settle. */
const SETTLE_GRACE_MS = 10_000;

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

  const history = new History();
  let lastEventAt = 0;
  const lastClose = new Map<string, { code: number | undefined }>();
  history.subscribe((e) => {
    lastEventAt = e.t;
    if (e.kind === 'close') lastClose.set(e.actor, { code: e.code });
  });
  env.onHistory?.(history);
  const faults = await env.faults?.(history);
  env.target.onUnexpectedExit((code, signal) => {
    history.append({
      kind: 'target',
      t: history.now(),
      action: 'exited',
      detail: `code ${code} signal ${signal}`,
    });
    history.append({
      kind: 'assert',
      t: history.now(),
      requirement: 'FRAME-8',
      ok: false,
      expected: 'the server keeps running',
      actual: `the server process exited (code ${code}, signal ${signal})`,
    });
  });

  const userName = (u: string) => `${env.userPrefix}${u}`;
  const bots: CaseBot[] = [];
  const byUser = new Map<string, CaseBot[]>();
  for (const [user, devices] of Object.entries(scenario.users)) {
    const list: CaseBot[] = [];
    for (const device of devices) {
      const name = userName(user);
      const driver = faults?.driver ?? env.driver;
      const bot = env.makeBot({ user: name, device, token: env.tokenFor(name), history, scenario, driver });
      list.push(bot);
      bots.push(bot);
    }
    byUser.set(name(user), list);
  }
  function name(u: string) {
    return userName(u);
  }

  const timeoutMs = env.timeoutMs ?? scenario.timeoutMs;
  const deadline = started + timeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let bodyCounter = 0;

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
    nextBody(from: string, to: string, size: number) {
      const head = `${from}>${to}#${++bodyCounter} `;
      return head.length >= size ? head : head + '.'.repeat(size - head.length);
    },
    lastEventAt: () => lastEventAt,
    caps: env.caps,
    captures: new Map<string, unknown>(),
    lastClose: (actor: string) => lastClose.get(actor),
  };

  let error: unknown;
  let stopped = false;
  try {
    for (const [index, step] of scenario.steps.entries()) {
      if (abort.signal.aborted)
        throw new StepUnmet(`case timeout (${timeoutMs} ms) before step ${index + 1}`);
      faults?.setStep(index);
      history.append({ kind: 'step', t: history.now(), index, label: step.op, line: step.loc.line });
      await runStep(step, ctx);
    }
    // Settling counts as the step after the last (a window `until: <steps>` ends with the timeline).
    faults?.setStep(scenario.steps.length);
    // Let in-flight messages settle before judging; the checker decides what did not.
    await waitUntil(
      () => holds('settled', conditionContext(ctx, 0)),
      Math.min(SETTLE_GRACE_MS, ctx.remainingMs()),
      10,
      abort.signal,
    );
  } catch (err) {
    if (err instanceof StepUnmet) stopped = true;
    else error = err;
  } finally {
    clearTimeout(timer);
  }
  // The case ends here; the closes that follow are teardown, not disconnections to judge.
  const endT = history.now();
  await Promise.allSettled(bots.map((b) => b.stop()));
  await faults?.close();
  if (stopped && abort.signal.aborted) {
    history.append({
      kind: 'assert',
      t: history.now(),
      requirement: scenario.covers[0] ?? 'RID-1',
      ok: false,
      expected: `the case completes within ${timeoutMs} ms`,
      actual: 'case deadline passed',
    });
  }

  const result = check(history.events, {
    expect: scenario.expect,
    covers: scenario.covers,
    users: Object.fromEntries([...byUser].map(([u, list]) => [u, list.map((b) => b.device)])),
    caps: [...env.caps],
    endT,
  });
  return {
    ...base,
    findings: result.findings,
    stats: result.stats,
    events: history.events,
    ...(error !== undefined ? { error } : {}),
    durationMs: performance.now() - started,
  };
}
