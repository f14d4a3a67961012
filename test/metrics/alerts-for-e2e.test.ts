/**
 * The alerts that wait (`for:`) go from pending to firing on a real Prometheus. The rule file is
 * derived here from the shipped dashboards/imspec-alerts.rules.yml by shortening every `for`
 * from minutes to as many seconds (3m → 3s) and changing nothing else (checked), so the shipped
 * expressions and labels are what fire; promtool (dashboards/imspec-alerts.test.yml) holds the
 * real durations to the minute.
 *
 * Real monitors probe reference servers through the fault proxy: one whose pushes are all
 * dropped (ImspecProbeFailing, then ImspecProbeAbsent once it stops), one whose msg:A answers
 * come 300 ms late (ImspecAckLatencyBudgetBurnFast and -Slow), one healthy beside them (nothing).
 * For each alert the test sees it pending first, then firing, and firing no sooner than its
 * `for` after it became active (Prometheus' activeAt).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { type RunningMonitor, startMonitor } from '../../src/monitor/monitor.js';
import { type CanaryTarget, canaryConfig, canaryTarget } from '../helpers/canary-monitor.js';
import { alerts, type RunningBinary, startPrometheus, waitFor } from '../helpers/prometheus.js';

const SHIPPED = fileURLToPath(new URL('../../dashboards/imspec-alerts.rules.yml', import.meta.url));
const SECRET = 'alerts-for-e2e';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  [key: string]: unknown;
}
type RuleFile = { groups: { name: string; rules: Rule[] }[] };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Prometheus duration ("3m", "1h30m") in ms. */
function durationMs(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/** The shipped rules with every `for` divided by 60: minutes become seconds. Nothing else changes. */
function shortened(shipped: RuleFile): { file: RuleFile; forMs: Map<string, number> } {
  const file = structuredClone(shipped);
  const forMs = new Map<string, number>();
  for (const group of file.groups) {
    for (const rule of group.rules) {
      if (rule.for === undefined) continue;
      const ms = durationMs(rule.for) / 60;
      rule.for = `${ms}ms`;
      forMs.set(rule.alert!, ms);
    }
  }
  return { file, forMs };
}

const exporters: MetricsServer[] = [];
const targets: CanaryTarget[] = [];
const monitors = new Map<string, RunningMonitor>();
let prometheus: RunningBinary | undefined;
let dir: string | undefined;
let forMs: Map<string, number>;

/** A monitor with its own /metrics, labelled `scenario`, against a reference server through `rules`. */
async function monitor(scenario: string, rules: unknown[], timing: Record<string, string>) {
  const registry = new Registry();
  const exporter = await startMetricsServer({ registry });
  exporters.push(exporter);
  const target = await canaryTarget(SECRET, rules);
  targets.push(target);
  const config = canaryConfig(target.url, scenario, SECRET, { suite: 'monitor', ...timing });
  monitors.set(scenario, await startMonitor(config, { registry, serve: false }));
  return { exporter, host: new URL(exporter.url).host };
}

beforeAll(async () => {
  const shipped = parse(readFileSync(SHIPPED, 'utf8')) as RuleFile;
  const derived = shortened(shipped);
  forMs = derived.forMs;
  dir = mkdtempSync(join(tmpdir(), 'imspec-alerts-for-'));
  const rulesFile = join(dir, 'imspec-alerts.rules.yml');
  writeFileSync(rulesFile, stringify(derived.file));

  const failing = await monitor('monitor', [{ match: { op: 'msg', kind: 'N' }, action: 'drop' }], {
    retransmit: '150ms',
    timeout: '600ms',
  });
  const slow = await monitor(
    'slow',
    [{ match: { op: 'msg', kind: 'A' }, action: { type: 'delay', by: '300ms' } }],
    { retransmit: '3s', timeout: '5s' },
  );
  const healthy = await monitor('healthy', [], { retransmit: '5s', timeout: '10s' });
  prometheus = await startPrometheus(
    [
      { job: 'imspec-monitor', targets: [failing.host] }, // the job ImspecProbeAbsent watches
      { job: 'imspec-slow', targets: [slow.host] },
      { job: 'imspec-healthy', targets: [healthy.host] },
    ],
    { ruleFiles: [rulesFile] },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([...monitors.values()].map((m) => m.stop()));
  await Promise.all(targets.map((t) => t.close()));
  await prometheus?.stop();
  await Promise.all(exporters.map((e) => e.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  pendingAt?: number;
  firingAt?: number;
  activeAt?: number;
}

/**
 * Polls Prometheus' alerts (4 times per evaluation) until `name` for `job` fires, noting when it
 * was first seen pending and firing and when Prometheus says it became active.
 */
async function pendingThenFiring(name: string, job: string, timeoutMs: number): Promise<Seen> {
  const seen: Seen = {};
  return waitFor(
    `${name} for job ${job} pending, then firing`,
    async () => {
      const now = Date.now();
      const found = (await alerts(prometheus!.url)).find(
        (a) => a.labels['alertname'] === name && a.labels['job'] === job,
      );
      if (!found) return undefined;
      if (found.state === 'pending') seen.pendingAt ??= now;
      if (found.state === 'firing') {
        seen.firingAt = now;
        seen.activeAt = Date.parse(found.activeAt);
        return seen;
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

function expectWaitedItsFor(name: string, seen: Seen): void {
  const wait = forMs.get(name)!;
  expect(seen.pendingAt, `${name} seen pending before firing`).toBeDefined();
  expect(seen.pendingAt!, name).toBeLessThan(seen.firingAt!);
  // Prometheus fires at the first evaluation at least `for` after activeAt: seen no sooner.
  expect(seen.firingAt! - seen.activeAt!, name).toBeGreaterThanOrEqual(wait);
}

describe('alerts with a `for` on a real Prometheus (shipped rules, `for` in seconds instead of minutes)', () => {
  it('derives its rules from the shipped file by shortening `for` only', () => {
    const shipped = parse(readFileSync(SHIPPED, 'utf8')) as RuleFile;
    const strip = (f: RuleFile) =>
      f.groups.map((g) => ({ ...g, rules: g.rules.map(({ for: _for, ...rest }) => rest) }));
    expect(strip(shortened(shipped).file)).toEqual(strip(shipped));
    expect(Object.fromEntries(forMs)).toEqual({
      ImspecWireDuplicateRateHigh: 10_000,
      ImspecRetransmitRateHigh: 10_000,
      ImspecAckLatencyBudgetBurnFast: 2_000,
      ImspecAckLatencyBudgetBurnSlow: 15_000,
      ImspecProbeFailing: 3_000,
      ImspecProbeAbsent: 5_000,
    });
  });

  it('ImspecProbeFailing, the burn-rate pages and ImspecProbeAbsent go pending, then fire; a healthy monitor raises nothing', async () => {
    const [failing, fast] = await Promise.all([
      pendingThenFiring('ImspecProbeFailing', 'imspec-monitor', 30_000),
      pendingThenFiring('ImspecAckLatencyBudgetBurnFast', 'imspec-slow', 30_000),
    ]);
    expectWaitedItsFor('ImspecProbeFailing', failing);
    expectWaitedItsFor('ImspecAckLatencyBudgetBurnFast', fast);

    // The failing monitor goes away while the slow burn waits out its 15 s: its probe series go
    // stale and ImspecProbeAbsent, quiet while it reported, becomes pending, then fires.
    const absentBefore = (await alerts(prometheus!.url)).filter(
      (a) => a.labels['alertname'] === 'ImspecProbeAbsent',
    );
    expect(absentBefore).toEqual([]);
    await monitors.get('monitor')!.stop();
    await exporters[0]!.close();
    const [absent, slowBurn] = await Promise.all([
      pendingThenFiring('ImspecProbeAbsent', 'imspec-monitor', 30_000),
      pendingThenFiring('ImspecAckLatencyBudgetBurnSlow', 'imspec-slow', 40_000),
    ]);
    expectWaitedItsFor('ImspecProbeAbsent', absent);
    expectWaitedItsFor('ImspecAckLatencyBudgetBurnSlow', slowBurn);

    // All the while the healthy monitor probed cleanly and raised nothing, not even pending.
    expect(monitors.get('healthy')!.last()?.success).toBe(true);
    const healthy = (await alerts(prometheus!.url)).filter((a) => a.labels['job'] === 'imspec-healthy');
    expect(healthy.map((a) => a.labels)).toEqual([]);
  }, 60_000);
});
