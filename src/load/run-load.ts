/**
 * `imspec load`, as a function: load the profile, start the target, deal the population to
 * workers, run the open-model schedule with faults, judge with the streaming ledger, evaluate the
 * thresholds, report. The CLI is a thin layer over `runLoad`.
 */

import { randomBytes } from 'node:crypto';
import { loadDriver } from '../drivers/index.js';
import { TargetUnreachableError, UsageError } from '../errors.js';
import { checkDriverTarget, preflightTarget } from '../preflight/index.js';
import { hmacToken } from '../protocol/auth.js';
import { startEmbedded } from '../runner/embedded.js';
import { probeCaps } from '../runner/probe-caps.js';
import { ExternalTarget, ProcessTarget, type Target } from '../runner/target.js';
import { defaultLedger } from './default-ledger.js';
import type { LoadHooks } from './hooks.js';
import {
  CONNECTIONS_PER_ADDRESS,
  CONNECTIONS_PER_SERVER,
  CONNECTIONS_PER_WORKER,
  type LoadOptions,
  resolveLoadOptions,
} from './options.js';
import { buildGroups, connectionCount, dealGroups } from './population.js';
import { loadProfileFile } from './profile/load-profile.js';
import type { LoadProfile } from './profile/types.js';
import { createLoadReporters, writeLoadReports } from './report/reporters.js';
import { buildLoadResult, type LoadResult, mergeWorkers } from './result.js';
import { checkFaultsWithin, checkSourceAddresses, requireProcessControl } from './run-checks.js';
import { prepareAll, runControl } from './run-control.js';
import { nestSlice, WHOLE } from './schedule.js';
import { shardGroups, shardName, shareRate } from './shard.js';
import { TimelineRecorder } from './timeline.js';
import { InProcessWorker, type WorkerHandle } from './worker/handle.js';
import type { ReadyInfo, WorkerPlan } from './worker/messages.js';
import { ProcessWorker } from './worker/process-worker.js';

export async function runLoad(input: Partial<LoadOptions>, hooks: LoadHooks = {}): Promise<LoadResult> {
  const options = resolveLoadOptions(input);
  checkDriverTarget(options.target, options.driver);
  // Reporter specs are checked before anything starts: a typo must not cost a whole run.
  const reporters = createLoadReporters([
    ...options.reports.filter((r) => !(options.quiet && r === 'console')),
    ...(options.out ? [`json=${options.out}`] : []),
  ]);
  const profile = withDuration(loadProfileFile(options.profile), options.durationMs);
  requireProcessControl(profile, options);
  await checkSourceAddresses(options.sourceAddresses ?? []);
  // A driver file or package is loaded and checked before any server starts (as imspec run does).
  const driver = await loadDriver(options.driver);
  const ledger = options.ledger ?? defaultLedger();
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const secret = options.hmacSecret ?? process.env['IMSPEC_HMAC_SECRET'] ?? randomBytes(16).toString('hex');
  const shard = options.shard ?? WHOLE;
  // Fail before starting anything: a shard with no users would drop every send it is offered.
  const groupCount = buildGroups(profile.population, '').length;
  if (groupCount < shard.count) {
    throw new UsageError(
      `${shardName(shard)}: the profile has ${groupCount} sender group(s), fewer than ${shard.count} shards; use at most ${groupCount} shards or more senders`,
    );
  }
  const connections = Math.ceil(connectionCount(profile.population) / shard.count);
  const targets = await startTargets(options, secret, connections, hooks.signal);
  const handles: WorkerHandle[] = [];
  // Ctrl-C or a kill of this process: the embedded servers run in process groups of their own
  // and would outlive it; worker processes end when their channel closes.
  const killed = (signal: NodeJS.Signals) => {
    for (const h of handles) h.kill();
    void Promise.allSettled(targets.map((t) => t.stop())).then(() => process.kill(process.pid, signal));
  };
  if (!hooks.signal) {
    process.once('SIGINT', killed);
    process.once('SIGTERM', killed);
  }
  let epochMs: number | undefined;
  let interrupted: LoadResult['interrupted'];
  let abortPrepare: ((error: Error) => void) | undefined;
  const onAbort = () => {
    const signal = String(hooks.signal?.reason ?? 'abort');
    if (epochMs === undefined) {
      for (const h of handles) h.kill();
      abortPrepare?.(new Error(`interrupted by ${signal} before the first send: nothing to report`));
      return;
    }
    interrupted = { signal, t: Date.now() - epochMs };
    for (const h of handles) h.stopSending();
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  let result: LoadResult;
  try {
    hooks.signal?.throwIfAborted();
    const url = targets[0]!.url;
    // Lowercase: XMPP servers case-fold user names, so a capital would rename every user on the wire.
    const tag = `l${runId.slice(-6)}`;
    const probeDriver = driver.create({ target: url });
    // A target the kit did not start is checked once, fast (exit 2 on a wrong URL, secret or
    // protocol), before any worker connects a thousand bots to it.
    const { caps } = options.target
      ? await preflightTarget({
          driver: probeDriver,
          driverName: options.driver,
          target: url,
          user: `${tag}-imspec-preflight`,
          token: hmacToken(secret, `${tag}-imspec-preflight`),
        })
      : await probeCaps(probeDriver, url, (user) => hmacToken(secret, user), `${tag}-`);
    const workerCount =
      options.workers ??
      (connections > CONNECTIONS_PER_WORKER ? Math.ceil(connections / CONNECTIONS_PER_WORKER) : 0);
    const slots = Math.max(1, workerCount);
    const dealt = dealGroups(shardGroups(buildGroups(profile.population, tag), shard), slots);
    const sourceAddresses = options.sourceAddresses ?? autoAddresses(url, connections);
    for (let w = 0; w < slots; w++) {
      const plan: WorkerPlan = {
        index: w,
        workers: slots,
        slice: nestSlice(shard, { index: w, count: slots }),
        profile,
        groups: dealt[w]!,
        targets: targets.map((t) => t.url),
        driver: options.driver,
        secret,
        seed: options.seed,
        sourceAddresses,
        caps: [...caps],
        connectRate: shareRate(profile.population.connectRate, shard) / slots,
        metrics:
          hooks.metrics || hooks.workerMetrics
            ? { scenario: profile.name, driver: options.driver, suite: 'load' }
            : undefined,
      };
      handles.push(
        workerCount === 0
          ? new InProcessWorker(plan, ledger, hooks.metrics)
          : new ProcessWorker(plan, hooks.workerMetrics),
      );
    }
    const ready = await Promise.race([
      prepareAll(handles, hooks.onConnecting),
      new Promise<never>((_, reject) => {
        abortPrepare = reject;
      }),
    ]);
    requireBots(ready, url);
    hooks.onReady?.({
      bots: ready.reduce((n, r) => n + r.bots, 0),
      connected: ready.reduce((n, r) => n + r.connected, 0),
      failed: ready.reduce((n, r) => n + r.failed, 0),
      workers: slots,
      ms: Math.max(...ready.map((r) => r.ms)),
    });
    // A common instant a little ahead, so every worker's clock reads 0 at the same moment.
    epochMs = Date.now() + 200;
    for (const h of handles) h.start(epochMs);
    const processLog: LoadResult['process'] = [];
    const timeline = new TimelineRecorder();
    const control = runControl(profile, targets, handles, epochMs, processLog, hooks, timeline);
    const results = await Promise.all(handles.map((h) => h.finish()));
    const aborted = control.stop();
    const merged = mergeWorkers(results);
    // The last point runs to now, the end of the drain: what changed after the last tick (and
    // the sends counted dropped when the workers finished) is in the series too.
    timeline.add(Date.now() - epochMs, merged);
    result = buildLoadResult(
      {
        runId,
        profile,
        startedAt: startedAt.toISOString(),
        wallMs: Date.now() - startedAt.getTime(),
        seed: options.seed,
        target:
          options.target ??
          `embedded reference server${targets.length > 1 ? ` ×${targets.length}` : ''}${options.serverFaults.length ? ` with --fault ${options.serverFaults.join(', ')}` : ''}`,
        driver: options.driver,
        workers: workerCount,
        process: processLog,
        timeline: timeline.result(),
        ...(aborted ? { aborted } : {}),
        ...(interrupted ? { interrupted } : {}),
        ...(options.shard ? { shard: options.shard } : {}),
      },
      merged,
    );
  } catch (error) {
    for (const h of handles) h.kill();
    throw withLog(error, targets);
  } finally {
    process.off('SIGINT', killed);
    process.off('SIGTERM', killed);
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all(targets.map((t) => t.stop()));
  }
  // Outside the try: a report that cannot be written is no fault of the target (no log tail), and
  // every other report, the console summary with the verdict, is still written.
  await writeLoadReports(reporters, result);
  return result;
}

/**
 * `--duration`: a constant executor runs that long; a ramp's stages are scaled to it. A process
 * fault after the new end is refused (UsageError), never left out.
 */
export function withDuration(profile: LoadProfile, durationMs: number | undefined): LoadProfile {
  if (durationMs === undefined || durationMs === profile.durationMs) return profile;
  checkFaultsWithin(profile, durationMs);
  const e = profile.executor;
  const executor =
    e.type === 'constant-arrival-rate'
      ? { ...e, durationMs }
      : {
          ...e,
          stages: e.stages.map((s) => ({
            ...s,
            durationMs: (s.durationMs * durationMs) / profile.durationMs,
          })),
        };
  return Object.freeze({
    ...profile,
    executor,
    durationMs,
  });
}

async function startTargets(
  options: Readonly<LoadOptions>,
  secret: string,
  connections: number,
  signal: AbortSignal | undefined,
): Promise<Target[]> {
  // Ctrl-C while a server starts ends the wait at once (the start kills what it spawned).
  const interruptible = signal ? { signal } : {};
  if (options.target) {
    if (!options.targetCmd) return [new ExternalTarget(options.target)];
    return [
      await ProcessTarget.start({
        command: options.targetCmd,
        args: [],
        shell: true,
        url: { fixed: options.target },
        ...interruptible,
      }),
    ];
  }
  const count = options.servers ?? Math.max(1, Math.ceil(connections / CONNECTIONS_PER_SERVER));
  const started: Target[] = [];
  try {
    for (let i = 0; i < count; i++) {
      started.push(
        await startEmbedded({
          secret,
          faults: options.serverFaults,
          extraArgs: options.serverArgs,
          serverHelloTimeout: true,
          ...interruptible,
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((t) => t.stop()));
    throw error;
  }
  return started;
}

/** 127.0.0.2, 127.0.0.3, … when a loopback target needs more than one address's ports. */
function autoAddresses(url: string, connections: number): string[] {
  const host = new URL(url).hostname;
  if (connections <= CONNECTIONS_PER_ADDRESS || !(host === 'localhost' || host.startsWith('127.'))) return [];
  return Array.from(
    { length: Math.ceil(connections / CONNECTIONS_PER_ADDRESS) },
    (_, i) => `127.0.0.${i + 2}`,
  );
}

/**
 * Logins over: a run none of whose senders (or receivers) could connect would offer every send
 * to no bot (or deliver nothing), and its thresholds would break on load the kit never applied. That is the kit's ERROR (its connect
 * errors' reason, exit 2), never a FAIL blamed on the server.
 */
function requireBots(ready: readonly ReadyInfo[], url: string): void {
  const bots = ready.reduce((n, r) => n + r.bots, 0);
  const connected = ready.reduce((n, r) => n + r.connected, 0);
  const missing = !ready.some((r) => r.sendersConnected > 0)
    ? 'sender'
    : !ready.some((r) => r.receiversConnected > 0)
      ? 'receiver'
      : undefined;
  if (bots === 0 || !missing) return;
  const reason = ready.find((r) => r.connectError !== undefined)?.connectError ?? 'no error reported';
  throw new TargetUnreachableError(
    `ERROR: the kit could not connect its bots to ${url}: ${connected} of ${bots} logged in, no ${missing} among them (first error: ${reason}). The profile's load was never applied, so nothing was judged`,
  );
}

function withLog(error: unknown, targets: Target[]): unknown {
  const tail = targets[0]?.logTail().trim();
  if (!tail || !(error instanceof Error)) return error;
  error.message += `\n--- target log (tail) ---\n${tail.split('\n').slice(-15).join('\n')}`;
  return error;
}
