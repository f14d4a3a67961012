/**
 * Sends that never reached the wire are not sent: the reference server killed (kill -9) mid-load
 * and never restarted, the sends that fall due after the kill wait in bots that cannot log in
 * again. The result counts them dropped (`disconnected`) — in the JSON summary, the console
 * summary, the timeline, the metrics and the `dropped` threshold — and the unknown outcomes are
 * only the messages that were on the wire when the server died. Sends that wait for a restart go
 * out late: sent, with their wait in the from-schedule latency.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import type { LoadProgress } from '../../src/load/hooks.js';
import { renderLoadSummary, renderProgress } from '../../src/load/report/text.js';
import { runLoad } from '../../src/load/run-load.js';
import { createMetrics } from '../../src/metrics/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-unsent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sum of a counter's series (all labels but the ones given). */
async function counter(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((n, v) => n + v.value, 0);
}

describe('a load whose target is killed and stays down', () => {
  it('counts the sends that never left the kit as dropped (disconnected), not as sent or unknown outcomes', async () => {
    const registry = new Registry();
    const out = join(dir, 'load.json');
    const live: string[] = [];
    let previous: LoadProgress | undefined;
    const r = await runLoad(
      { profile: 'test/load/profiles/kill-stays-down.yaml', reports: [], seed: 7, out, quiet: true },
      {
        metrics: createMetrics(registry),
        onProgress: (p) => {
          live.push(renderProgress(p, previous));
          previous = p;
        },
      },
    );
    // The live line keeps the queued sends apart from what is in flight on the wire.
    const queued = live
      .map((line) => /in flight (\d+) \(queued (\d+)\)/.exec(line))
      .filter((m) => m !== null);
    expect(queued.length).toBeGreaterThan(0);
    expect(Math.max(...queued.map((m) => Number(m![2])))).toBeGreaterThan(50);
    expect(Math.max(...queued.map((m) => Number(m![1])))).toBeLessThan(50);
    expect(r.process.map((p) => p.action)).toEqual(['kill']);
    expect(r.schedule.offered).toBe(300);
    // About 2 s of the 3 s schedule at 100/s came after the kill: queued, never on the wire.
    expect(r.dropped.disconnected).toBeGreaterThan(100);
    // Every offered send is sent or dropped, once.
    expect(r.counters.sent + r.dropped.total).toBe(r.schedule.offered);
    // Unknown outcomes: only what was in flight at the kill (a few), not the queued sends.
    expect(r.counters.unknownOutcome).toBeLessThan(r.dropped.disconnected / 10);
    // Nor are they "unsettled when the drain ran out": they never were in flight.
    expect(r.unsettled).toBeLessThan(r.dropped.disconnected / 10);
    const dropped = r.thresholds.find((t) => t.figure === 'dropped')!;
    expect(dropped.ok).toBe(false);
    expect(dropped.actual).toBe(r.dropped.total);
    const sentRate = ((r.counters.sent * 1000) / r.schedule.durationMs).toFixed(1);
    expect(renderLoadSummary(r)).toContain(
      `sent ${r.counters.sent} (${sentRate}/s), dropped ${r.dropped.total} (window 0, no bot 0, disconnected ${r.dropped.disconnected})`,
    );
    // The timeline's last point runs to the end of the drain, where the drops were counted.
    const tl = r.timeline!;
    const droppedInSeries = tl.dropped.reduce((n, rate, i) => n + rate * (tl.t[i]! - (tl.t[i - 1] ?? 0)), 0);
    expect(Math.abs(droppedInSeries - r.dropped.total)).toBeLessThan(1);
    // The metric table says the same.
    expect(await counter(registry, 'imspec_load_sends_dropped_total', { reason: 'disconnected' })).toBe(
      r.dropped.disconnected,
    );
    expect(await counter(registry, 'imspec_messages_sent_total')).toBe(r.counters.sent);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const validate = new Ajv2020({ strict: true }).compile(resultSchema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.dropped.disconnected).toBe(r.dropped.disconnected);
  }, 60_000);

  it('sends what waited for the restart, its wait in the from-schedule latency', async () => {
    // Down from 1 s for 1 s and a restart: what fell due meanwhile waited in the bots.
    const r = await runLoad({
      profile: 'test/load/profiles/kill-restart-late.yaml',
      reports: [],
      seed: 7,
      quiet: true,
    });
    expect(r.process.map((p) => p.action)).toEqual(['kill', 'restart']);
    expect(r.dropped.total).toBe(0);
    expect(r.counters.sent).toBe(300);
    expect(r.counters.lost).toBe(0);
    // Nearly half the sends fell due while the target was down and waited 0.1–1.4 s: the top
    // tenth of msg:R → msg:A from schedule is their wait (coordinated omission would show ms).
    expect(r.latency['ack_latency.msg_a.scheduled'].p90).toBeGreaterThan(500);
  }, 60_000);
});
