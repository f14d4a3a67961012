/**
 * `imspec run`, as a function: load the scenarios, set up the target, run every case, report.
 * The CLI is a thin layer over `runSuites`.
 */

import { randomBytes } from 'node:crypto';
import { type LoadedDriver, loadDriver } from '../drivers/load.js';
import { ConfigError, UsageError } from '../errors.js';
import type { FaultRecord, FaultRule } from '../faults/types.js';
import type { History } from '../history/events.js';
import { checkDriverTarget, preflightTarget } from '../preflight/index.js';
import { hmacToken } from '../protocol/auth.js';
import {
  buildCaseResult,
  buildRunResult,
  type CaseResult,
  combineReporters,
  decideRepeatVerdict,
  type Exemption,
  exemptCase,
  isPassing,
  loadExpectedFailures,
  type Reporter,
  type RunResult,
  selectExemptions,
  type UnselectedExemption,
} from '../report/index.js';
import { loadSuites } from '../scenarios/index.js';
import type { Scenario } from '../scenarios/types.js';
import { createCaseBot } from './bot-adapter.js';
import { beginCaseOnTarget, type CaseTargetState, withTargetEvidence } from './case-evidence.js';
import { caseSeed, matchesOnly, replayCommand } from './case-replay.js';
import {
  type FaultRunOptions,
  faultRecords,
  faultsUnsupported,
  minimizeCase,
  resolveFaultRunOptions,
  startCaseFaults,
  usesProbability,
} from './faults-setup.js';
import { type RunOptions, resolveRunOptions } from './options.js';
import { probeCaps } from './probe-caps.js';
import { type Account, provisionAccounts } from './provision.js';
import { runCase } from './run-case.js';
import { RunTargets } from './run-targets.js';
import type { Target } from './target.js';

export interface RunHooks {
  reporters?: readonly Reporter[];
  /** Each case's history, as it starts (metrics subscribe here). */
  onHistory?: (history: History, scenario: Scenario) => void;
  /**
   * Every case the run will run, once, after the preflight and before the first case starts;
   * awaited. Metrics create each case's series at zero here (and may wait for a scrape), so
   * `increase()` over the run counts a case's first messages too.
   */
  onPlan?: (scenarios: readonly Scenario[]) => void | Promise<void>;
  /**
   * Aborted (with the signal's name as reason, e.g. 'SIGINT') to stop the run: the case in
   * progress is abandoned, every server the run started is stopped, and the reports are written
   * with the cases that finished, marked `interrupted`.
   */
  signal?: AbortSignal;
}

export interface RunInput extends Partial<RunOptions & FaultRunOptions> {
  /** The driver, already loaded (the CLI loads it first to fail fast); else `driver` is loaded. */
  loadedDriver?: LoadedDriver;
}

export async function runSuites(input: RunInput, hooks: RunHooks = {}): Promise<RunResult> {
  const options = resolveRunOptions(input);
  const faultOptions = resolveFaultRunOptions(input);
  // A user driver is loaded and checked once, before anything starts (DriverError exits 2).
  const driver = input.loadedDriver ?? (await loadDriver(options.driver));
  const started = Date.now();
  const runId = `${new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const all = await loadSuites(options.paths);
  const scenarios = all.filter((s) => matchesOnly(s.id, options.only));
  if (scenarios.length === 0) {
    throw new ConfigError(
      options.only.length
        ? `--only ${options.only.join(',')} matches no case in ${options.paths.join(', ')}`
        : `no scenarios found in ${options.paths.join(', ')}`,
    );
  }
  if (faultOptions.caseSeed !== undefined && scenarios.length !== 1) {
    throw new UsageError(
      `--case-seed replays one case: give --only selecting exactly one (it selects ${scenarios.length})`,
    );
  }
  let exemptions: Exemption[] = [];
  let notRunExemptions: UnselectedExemption[] = [];
  if (options.expectFailures) {
    const selected = selectExemptions(
      await loadExpectedFailures(options.expectFailures),
      scenarios.map((s) => s.id),
      all.map((s) => s.id),
    );
    exemptions = selected.active;
    notRunExemptions = selected.notRun;
  }

  const reporter = combineReporters(hooks.reporters ?? []);
  const secret = options.hmacSecret ?? process.env['IMSPEC_HMAC_SECRET'] ?? randomBytes(16).toString('hex');
  const targetLabel = options.target ?? `embedded reference server${describeFaults(options.serverFaults)}`;

  // A shared target (--target, or the run's embedded server for cases that need no process
  // control) keeps inboxes between cases: a per-case user prefix keeps cases apart.
  checkDriverTarget(options.target, driver.name);
  const targets = await RunTargets.open(options, secret, hooks.signal);
  // One login before any case: a wrong URL, secret or driver is said once and exits 2.
  try {
    if (targets.user) await preflightShared(targets.user, options, driver, `${runId}-`, secret);
    await hooks.onPlan?.(scenarios);
  } catch (error) {
    await targets.stop();
    throw error;
  }
  reporter.onRunStart({ runId, target: targetLabel, driver: driverLabel(driver), total: scenarios.length });
  const results: CaseResult[] = [];
  const live = new Set<Target>();
  const abort = hooks.signal;
  const aborted = abortedPromise(abort);
  let writeFailure: ConfigError | undefined;
  try {
    for (const [index, scenario] of scenarios.entries()) {
      if (abort?.aborted) break;
      reporter.onCaseStart({ id: scenario.id, index, total: scenarios.length });
      const runs: CaseResult[] = [];
      let minimized = false;
      for (let r = 0; r < options.repeat; r++) {
        const seed = faultOptions.caseSeed ?? caseSeed(options.seed, scenario.id, r);
        const setup = {
          seed,
          prefix: targets.prefixFor(scenario, runId, index, r),
          secret,
          targets,
          next: scenarios[index + 1],
          hooks,
          driver,
          live,
        };
        // An interrupt abandons the case in progress (its servers are stopped below).
        const outcome = await Promise.race([runOne(scenario, options, setup), aborted]);
        if (outcome === 'aborted') break;
        const { result, records } = outcome;
        // The first failing run of a probabilistic case is cut down to the faults that matter.
        if (faultOptions.minimize && !minimized && isMinimizable(result, scenario, records)) {
          minimized = true;
          const cut = await minimizeCase({
            scenario,
            seed,
            records,
            prefix: setup.prefix,
            options: faultOptions,
            stillFails: async (rules) => {
              const prefix = setup.prefix && `${setup.prefix}m${randomBytes(2).toString('hex')}-`;
              const replay = await runOne(scenario, options, { ...setup, prefix, hooks: {} }, rules);
              return replay.result.verdict === result.verdict;
            },
          }).catch((err: unknown) => {
            // A reproducer that cannot be written (disk full) must not cost the verdicts: the
            // run goes on, and the error ends it after the reports (exit 2).
            if (!(err instanceof ConfigError)) throw err;
            writeFailure ??= err;
            return undefined;
          });
          if (cut) result.minimized = cut;
        }
        runs.push(result);
      }
      if (abort?.aborted) break;
      // Exemptions apply as each case ends, so the console shows XFAIL at once.
      const result = exemptCase(runs.length === 1 ? runs[0]! : mergeRepeats(runs), exemptions);
      results.push(result);
      reporter.onCaseResult(result);
    }
  } finally {
    await Promise.allSettled([...live].map((t) => t.stop()));
    await targets.stop();
  }

  const { run } = buildRunResult(
    {
      runId,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      target: targetLabel,
      driver: driverLabel(driver),
      seed: options.seed,
      notRunExemptions: notRunExemptions.map((e) => e.id),
    },
    results,
    exemptions,
    options.strict,
  );
  if (abort?.aborted) {
    run.interrupted = {
      signal: String(abort.reason ?? 'abort'),
      completed: results.length,
      total: scenarios.length,
    };
  }
  await reporter.onRunEnd(run);
  if (writeFailure) throw writeFailure;
  return run;
}

/** Resolves 'aborted' when the signal fires (never, without one). */
function abortedPromise(signal: AbortSignal | undefined): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

interface CaseSetup {
  /** Servers started for the case in progress, so an interrupt can stop them. */
  live: Set<Target>;
  driver: LoadedDriver;
  seed: number;
  prefix: string;
  secret: string;
  targets: RunTargets;
  /** The case after this one: a fresh server it needs starts while this one runs. */
  next: Scenario | undefined;
  hooks: RunHooks;
}

/** One run of one case; `rules` replace the scenario's own fault rules (a minimisation replay). */
async function runOne(
  scenario: Scenario,
  options: Readonly<RunOptions>,
  setup: CaseSetup,
  rules: readonly FaultRule[] = scenario.faults,
): Promise<{ result: CaseResult; records: FaultRecord[] }> {
  const replay = replayCommand(scenario, options, setup.seed);
  const unsupported = faultsUnsupported(rules, setup.driver);
  if (unsupported) {
    const base = { scenario, findings: [], events: [], durationMs: 0, seed: setup.seed, replay };
    return { result: buildCaseResult({ ...base, unsupportedCaps: [unsupported] }), records: [] };
  }
  let target: Target | undefined;
  let shared = false;
  let onTarget: CaseTargetState | undefined;
  try {
    ({ target, shared } = await setup.targets.forCase(scenario));
    setup.targets.prepare(setup.next);
    if (!shared) setup.live.add(target);
    onTarget = await beginCaseOnTarget(target, shared);
    const driver = setup.driver.create({ target: target.url });
    const tokenFor = (user: string) => hmacToken(setup.secret, user);
    const provision = (accounts: readonly Account[]) =>
      provisionAccounts(accounts, {
        driver,
        target: target!.url,
        ...(options.provisionCmd !== undefined ? { command: options.provisionCmd } : {}),
      });
    const { caps, limits } = await probeCaps(driver, target.url, tokenFor, setup.prefix, provision);
    const url = target.url;
    const outcome = await runCase(scenario, {
      target,
      driver,
      caps,
      limits,
      tokenFor,
      userPrefix: setup.prefix,
      seed: setup.seed,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.rawWindow !== undefined ? { rawWindow: options.rawWindow } : {}),
      makeBot: ({ user, device, token, history, driver: botDriver }) =>
        createCaseBot({ user, device, token, driver: botDriver, history, client: scenario.client }),
      faults: (history) =>
        startCaseFaults({
          rules,
          driver: setup.driver,
          target: url,
          seed: setup.seed,
          history,
          prefix: setup.prefix,
        }),
      onHistory: (h) => setup.hooks.onHistory?.(h, scenario),
      provision,
      replay,
    });
    const result = withTargetEvidence(buildCaseResult(outcome), target, onTarget, outcome.events);
    // Reporters that draw histories (html) see each run's; minimisation replays pass no reporters.
    for (const r of setup.hooks.reporters ?? []) r.onCaseHistory?.({ result, events: outcome.events });
    return { result, records: faultRecords(outcome.events) };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) throw error;
    const result = buildCaseResult({
      scenario,
      findings: [],
      events: [],
      error,
      durationMs: 0,
      seed: setup.seed,
      replay,
    });
    return { result: withTargetEvidence(result, target, onTarget, []), records: [] };
  } finally {
    if (target && !shared) {
      setup.live.delete(target);
      setup.targets.release(target);
    }
  }
}

async function preflightShared(
  shared: Target,
  options: Readonly<RunOptions>,
  loaded: LoadedDriver,
  prefix: string,
  secret: string,
): Promise<void> {
  const driver = loaded.create({ target: shared.url });
  const user = `${prefix}imspec-preflight`;
  const token = hmacToken(secret, user);
  await preflightTarget({
    driver,
    driverName: loaded.name,
    target: shared.url,
    user,
    token,
    provision: () =>
      provisionAccounts([{ user, token }], {
        driver,
        target: shared.url,
        ...(options.provisionCmd !== undefined ? { command: options.provisionCmd } : {}),
      }),
  });
}

/** The driver as reports name it: its name, and where it came from when that is not the name. */
function driverLabel(driver: LoadedDriver): string {
  return driver.spec === driver.name ? driver.name : `${driver.name} (${driver.spec})`;
}

function describeFaults(faults: readonly string[]): string {
  return faults.length ? ` with --fault ${faults.join(', --fault ')}` : '';
}

/** --repeat: mixed outcomes make a case FLAKY, with its pass rate and the seeds that failed. */
function mergeRepeats(runs: CaseResult[]): CaseResult {
  const decision = decideRepeatVerdict(runs);
  // The worst failing run speaks for the case (a FAIL over a WARN): it decides whether a FLAKY case
  // broke a MUST (failsRun).
  const failingRuns = runs.filter((r) => !isPassing(r.verdict) && r.verdict !== 'INCONCLUSIVE');
  const representative =
    failingRuns.find((r) => r.verdict === 'FAIL') ??
    failingRuns[0] ??
    runs.find((r) => r.verdict === decision.verdict) ??
    runs[0]!;
  const merged: CaseResult = { ...representative, verdict: decision.verdict, passRate: decision.passRate };
  if (decision.reason !== undefined) merged.reason = decision.reason;
  else delete merged.reason;
  // Each failing seed replays on its own: `--case-seed` replaces the derived per-case seed.
  const failing = runs.filter((r) => !isPassing(r.verdict));
  if (failing.length > 0) merged.replays = failing.map((r) => r.replay);
  return merged;
}

/** A case whose rules drew on chance failed with fault events to cut down. */
function isMinimizable(result: CaseResult, scenario: Scenario, records: readonly FaultRecord[]): boolean {
  const failed = result.verdict === 'FAIL' || result.verdict === 'WARN';
  return failed && usesProbability(scenario.faults) && records.length > 0;
}
