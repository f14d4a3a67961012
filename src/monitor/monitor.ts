/**
 * `imspec monitor`: a long-running two-party probe for production, like blackbox_exporter but
 * with two (or more) real accounts. Every interval each ordered pair of accounts exchanges one
 * canary; the monitor retransmits like a client would (same cmid), commits on the receiving
 * side with dedup and gap detection, and exports what it saw through the same metrics as a
 * conformance run (fed by history events) plus imspec_probe_success / _duration_seconds.
 *
 * It never crashes on the target's behalf: connection failures are counted and retried with
 * backoff, a cycle that cannot run is a failed probe. Memory is bounded (RollingHistory,
 * BoundedMaps), so it can run for months.
 */

import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import type { Finding } from '../checker/types.js';
import type { Driver } from '../drivers/driver.js';
import { loadDriver } from '../drivers/load.js';
import { ConnectionClosedError, ServerRejectedError } from '../errors.js';
import type { History } from '../history/events.js';
import type { BaseLabels } from '../metrics/definitions.js';
import { attachHistoryMetrics, recordFindings } from '../metrics/from-history.js';
import { type MetricsServer, startMetricsServer } from '../metrics/http.js';
import { type ProbeFailureReason, recordProbe } from '../metrics/probe.js';
import { createMetrics, type ImspecMetrics } from '../metrics/registry.js';
import { labelTarget } from '../metrics/target.js';
import { checkTargetUrl } from '../preflight/index.js';
import { unicodeBody } from '../runner/run-case.js';
import { AlwaysOnWatch } from './always-on-watch.js';
import type { MonitorConfig } from './config.js';
import { ProbeAccount } from './probe-account.js';
import { RollingHistory } from './rolling-history.js';

export interface MonitorOptions {
  /**
   * Registry to fill. One the monitor creates is labelled `target=<config.targetName>`; one you
   * pass is yours to label (`labelTarget(registry, name)`): it may hold other targets' series.
   * @default a new Registry
   */
  registry?: Registry;
  /** Serve /metrics and /healthz at `config.metrics`. @default true */
  serve?: boolean;
  /** Events kept in the rolling history (for debugging; metrics see all). @default 1000 */
  historyKeep?: number;
  /**
   * Record into this history instead of a new RollingHistory(historyKeep) — e.g. one shared
   * with a fault proxy so its injections are counted. Keep it bounded for a long run.
   * @default new RollingHistory(historyKeep)
   */
  history?: History;
  /** Stop after this many cycles (0 = run until stopped). @default 0 */
  maxCycles?: number;
  /** Called after every cycle. @default undefined */
  onCycle?: (result: CycleResult) => void;
  /** Driver to use instead of loading `config.driver` (tests, drivers built in code). */
  driver?: Driver;
}

export interface DirectionResult {
  from: string;
  to: string;
  ok: boolean;
  reason?: ProbeFailureReason;
  attempts: number;
}

export interface CycleResult {
  cycle: number;
  success: boolean;
  reason?: ProbeFailureReason;
  durationSeconds: number;
  directions: DirectionResult[];
  /**
   * What the always-on rules (docs/always-on.md) found in the history since the last cycle
   * ended; each is counted in imspec_findings_total{requirement,level}.
   */
  findings: Finding[];
}

export interface RunningMonitor {
  readonly metrics: ImspecMetrics;
  readonly history: History;
  /** `http://host:port` of /metrics, when serving. */
  readonly metricsUrl: string | undefined;
  /** Cycles completed so far. */
  cycles(): number;
  last(): CycleResult | undefined;
  /** Settles when `maxCycles` is reached or after stop(). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Failure reasons in the order one is reported when directions fail differently. */
const REASON_ORDER: ProbeFailureReason[] = ['duplicate', 'lost', 'timeout', 'connect', 'error'];

/**
 * A timer promise that can be cancelled (it then resolves at once), so thousands of cycles
 * leave no pending timers behind and stop() never waits out an interval.
 */
function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    wake = resolve;
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
      wake();
    },
  };
}

export async function startMonitor(
  config: MonitorConfig,
  options: MonitorOptions = {},
): Promise<RunningMonitor> {
  const registry = options.registry ?? new Registry();
  if (!options.registry) labelTarget(registry, config.targetName);
  const metrics = createMetrics(registry);
  const history = options.history ?? new RollingHistory(options.historyKeep ?? 1_000);
  // A driver file or package is loaded (and checked) once; the `driver` label is its short name.
  const loaded = options.driver ? undefined : await loadDriver(config.driver);
  if (loaded) checkTargetUrl(config.target, loaded.name, 'the config target');
  const driver = options.driver ?? loaded!.create({ target: config.target });
  const base: BaseLabels = {
    scenario: config.scenario,
    driver: loaded?.name ?? driver.name,
    suite: config.suite,
  };
  // No ledger judges the monitor's canaries: wire duplicates are its clients' dedup events.
  attachHistoryMetrics(history, metrics, base, { maxTracked: 1_000, wireDuplicatesFromEvents: true });
  const watch = new AlwaysOnWatch();
  const unwatch = history.subscribe((e) => watch.event(e));
  const timing = {
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    requestTimeoutMs: config.timeoutMs,
  };
  const accounts = config.accounts.map((a) => new ProbeAccount(a, driver, history, timing));
  // A protocol without receipts (MQTT: no ack:N) cannot hold a canary to one: it is done once
  // accepted (msg:A) and committed by the receiver, as a conformance case over it would judge.
  const hasReceipts = driver.caps.includes('delivered-receipt') || driver.caps.includes('standin-receipt');
  const runId = randomBytes(4).toString('hex');
  let appDuplicateSeen = false;
  for (const a of accounts) {
    a.onAppDuplicate = () => {
      appDuplicateSeen = true;
      metrics.m.duplicates.inc({ ...base, layer: 'app' });
    };
  }
  const pairs = accounts.flatMap((from) =>
    accounts.filter((to) => to !== from).map((to) => [from, to] as const),
  );

  let stopped = false;
  let count = 0;
  /** Waits of running cycles, cancelled by stop() so it does not wait out a retransmit timer. */
  const waits = new Set<{ cancel: () => void }>();
  let lastResult: CycleResult | undefined;
  let server: MetricsServer | undefined;
  if (options.serve ?? true) {
    server = await startMetricsServer({
      registry,
      host: config.metrics.host,
      port: config.metrics.port,
      health: () => {
        const up = accounts.filter((a) => a.session).length;
        const probe = lastResult
          ? lastResult.success
            ? 'last probe ok'
            : `last probe failed: ${lastResult.reason}`
          : 'no probe yet';
        return { ok: !stopped, detail: `${up}/${accounts.length} accounts connected, ${probe}` };
      },
    });
  }

  async function probe(
    from: ProbeAccount,
    to: ProbeAccount,
    cycle: number,
    index: number,
  ): Promise<DirectionResult> {
    const result: DirectionResult = { from: from.account.user, to: to.account.user, ok: false, attempts: 0 };
    const deadline = performance.now() + config.timeoutMs;
    const remaining = () => deadline - performance.now();
    const cmid = `canary-${runId}-${cycle}-${index}`;
    const body = canaryBody(cmid, config.canary);
    let delivered = false;
    let receipted = !hasReceipts;
    let accepted = false;
    const both = Promise.all([
      to.expectDelivery(cmid).then(() => {
        delivered = true;
      }),
      hasReceipts
        ? from.expectReceipt(cmid).then(() => {
            receipted = true;
          })
        : undefined,
    ]);
    try {
      if (!(await to.connected(remaining()))) return { ...result, reason: 'connect' };
      history.append({
        kind: 'send',
        t: history.now(),
        actor: from.actor,
        cmid,
        to: to.account.user,
        body,
      });
      let previous: unknown;
      while (!(delivered && receipted) && remaining() > 0 && !stopped) {
        const session = await from.connected(remaining());
        if (!session) break;
        if (result.attempts > 0) {
          // The delivery model: no receipt in time → resend msg:R with the same cmid.
          const reason = session === previous ? 'timeout' : 'reconnect';
          history.append({
            kind: 'retransmit',
            t: history.now(),
            actor: from.actor,
            cmid,
            attempt: result.attempts + 1,
            reason,
          });
        }
        previous = session;
        result.attempts++;
        const wait = Math.min(config.retransmitMs, remaining());
        const sentAt = performance.now();
        try {
          await session.send({ cmid, to: to.account.user, body }, wait);
          accepted = true;
        } catch (err) {
          if (err instanceof ServerRejectedError) return { ...result, reason: 'error' };
          // Timed out, or the connection dropped: retransmit (after reconnecting). An answer the
          // driver refused (ProtocolError) comes early, and the retransmit timer still runs: a
          // server answering every msg:R with junk got 315 of them in 1.5 s.
          if (!(err instanceof ConnectionClosedError)) {
            const timer = delay(wait - (performance.now() - sentAt));
            waits.add(timer);
            await timer.promise;
            waits.delete(timer);
          }
          continue;
        }
        // Wait for the receipt for one retransmit period; once receipted, the sender stops
        // retransmitting (the delivery model) and only the receiver's commit is awaited.
        let timer = delay(Math.min(config.retransmitMs, remaining()));
        waits.add(timer);
        await Promise.race([both, timer.promise]);
        if (receipted && !delivered && !stopped) {
          timer.cancel();
          waits.delete(timer);
          timer = delay(remaining());
          waits.add(timer);
          await Promise.race([both, timer.promise]);
        }
        timer.cancel();
        waits.delete(timer);
      }
      if (delivered && receipted) return { ...result, ok: true };
      if (result.attempts === 0) return { ...result, reason: 'connect' };
      if (accepted && !delivered) {
        metrics.m.messagesLost.inc(base);
        return { ...result, reason: 'lost' };
      }
      return { ...result, reason: 'timeout' };
    } finally {
      from.forget(cmid);
      to.forget(cmid);
    }
  }

  async function cycle(n: number): Promise<CycleResult> {
    const t0 = performance.now();
    appDuplicateSeen = false;
    let directions: DirectionResult[];
    try {
      directions = await Promise.all(pairs.map(([from, to], i) => probe(from, to, n, i)));
    } catch {
      directions = [];
    }
    const durationSeconds = (performance.now() - t0) / 1000;
    const reasons = directions.filter((d) => !d.ok).map((d) => d.reason ?? 'error');
    if (appDuplicateSeen) reasons.push('duplicate');
    if (directions.length === 0) reasons.push('error');
    const reason = REASON_ORDER.find((r) => reasons.includes(r));
    // Holes a refetch found and no later push filled within a canary's timeout (SEQ-1).
    countHoles(history.now() - config.timeoutMs);
    const findings = watch.takeCycle();
    recordFindings(metrics, findings, base);
    const result: CycleResult = {
      cycle: n,
      success: reason === undefined,
      durationSeconds,
      directions,
      findings,
      ...(reason ? { reason } : {}),
    };
    recordProbe(metrics, base, {
      success: result.success,
      durationSeconds,
      ...(reason ? { failure: reason } : {}),
    });
    return result;
  }

  const countHoles = (notedBy: number): void => {
    let holes = 0;
    for (const a of accounts) holes += a.takeHoles(notedBy);
    if (holes > 0) metrics.m.seqGaps.inc(base, holes);
  };

  let stopWait: { cancel: () => void } | undefined;
  const stopping = new AbortController();
  const done = (async () => {
    // The series exist at zero (attachHistoryMetrics): let a scraper see them so before the
    // accounts connect, or increase() misses the first cycle. At most one interval: a monitor
    // nobody scrapes yet still probes.
    if (server) await server.nextScrape(config.intervalMs, stopping.signal);
    if (!stopped) for (const a of accounts) a.start();
    while (!stopped) {
      const started = performance.now();
      lastResult = await cycle(++count);
      options.onCycle?.(lastResult);
      if (options.maxCycles && count >= options.maxCycles) break;
      const wait = delay(config.intervalMs - (performance.now() - started));
      stopWait = wait;
      await wait.promise;
    }
    // At the end every hole still unfilled counts, as a case's checker judges its holes at its end.
    countHoles(Number.POSITIVE_INFINITY);
    // The last cycle's values must reach the scraper too, as a run's final values do: at most one
    // interval, and stop() does not wait for it.
    if (!stopped && server) await server.nextScrape(config.intervalMs, stopping.signal);
  })();

  return {
    metrics,
    history,
    metricsUrl: server?.url,
    cycles: () => count,
    last: () => lastResult,
    done,
    stop: async () => {
      stopped = true;
      stopping.abort();
      stopWait?.cancel();
      for (const w of waits) w.cancel();
      // Closing the sessions ends a running cycle's waits (connected() wakes with undefined).
      await Promise.all(accounts.map((a) => a.stop()));
      await done;
      unwatch();
      await server?.close();
    },
  };
}

/** The canary's body: its cmid (which names it in any log), then filler up to `size` bytes. */
export function canaryBody(cmid: string, canary: MonitorConfig['canary']): string {
  const head = `${cmid} `;
  if (canary.size <= head.length) return cmid;
  return canary.text === 'unicode' ? unicodeBody(head, canary.size) : head.padEnd(canary.size, '.');
}
