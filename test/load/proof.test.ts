/**
 * Real load runs against the reference server (embedded, as a child process), judged by the
 * streaming ledger (the default), exit codes from the thresholds. Each run is a few seconds: the shipped profiles with
 * their duration overridden.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import { runLoad } from '../../src/load/run-load.js';

const run = (profile: string, extra: Parameters<typeof runLoad>[0] = {}) =>
  runLoad({ profile, reports: [], seed: 7, ...extra });

const threshold = (r: Awaited<ReturnType<typeof run>>, figure: string) =>
  r.thresholds.find((t) => t.figure === figure)!;

describe('imspec load against the reference server', () => {
  it('survives 5% random frame loss: retransmits, nothing lost or committed twice, thresholds hold', async () => {
    const r = await run('profiles/steady-5pct-loss.yaml', { durationMs: 3000 });
    expect(r.counters.sent).toBe(600);
    expect(r.faultsInjected).toBeGreaterThan(0);
    expect(r.counters.retransmits).toBeGreaterThan(0);
    expect(r.counters.lost).toBe(0);
    expect(r.counters.appDuplicates).toBe(0);
    expect(r.counters.delivered).toBe(600);
    expect(r.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(r.exitCode).toBe(0);
  }, 60_000);

  it('catches a server that does not deduplicate: app duplicates break the threshold, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imspec-load-'));
    const r = await run('profiles/steady-5pct-loss.yaml', {
      durationMs: 3000,
      serverFaults: ['no-dedup'],
      out: join(dir, 'load.json'),
      reports: [`junit=${join(dir, 'load.xml')}`],
    });
    // The files say what the result says: findings with the events that prove them.
    const json = JSON.parse(readFileSync(join(dir, 'load.json'), 'utf8'));
    const validate = new Ajv2020({ strict: true }).compile(resultSchema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.findings[0].events.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'load.xml'), 'utf8')).toMatch(
      /<failure type="THRESHOLD" message="duplicates\.app == 0/,
    );
    rmSync(dir, { recursive: true, force: true });
    expect(r.counters.appDuplicates).toBeGreaterThan(0);
    expect(threshold(r, 'duplicates.app').ok).toBe(false);
    expect(r.findings.some((f) => f.kind === 'app-duplicate')).toBe(true);
    expect(r.exitCode).toBe(1);
  }, 60_000);

  it('catches acknowledged messages lost to kill -9 when the server acks before it commits', async () => {
    const r = await run('profiles/server-kill.yaml', {
      durationMs: 5000,
      serverFaults: ['ack-before-commit'],
    });
    expect(r.process.map((p) => p.action)).toEqual(['kill', 'restart']);
    // Acknowledged before the kill, unknown to the restarted server (DUR-1).
    expect(r.findings.some((f) => f.kind === 'lost' && f.requirement === 'DUR-1')).toBe(true);
    expect(threshold(r, 'lost').actual).toBeGreaterThan(0);
    // The threshold reads the ledger's figure, the one the totals and metrics show: DUR-1 once.
    expect(threshold(r, 'lost').actual).toBe(r.counters.lost);
    expect(threshold(r, 'lost').ok).toBe(false);
    expect(r.exitCode).toBe(1);
  }, 90_000);

  it('says when a device that never committed connected, on the run clock (before the start: a few seconds below 0)', async () => {
    // seq-reuse: every 7th message of an inbox reuses a seq, so the receiver never commits it
    // although it stayed connected from its login, before the schedule started.
    const r = await run('profiles/steady.yaml', { durationMs: 3000, serverFaults: ['seq-reuse'] });
    const since = r.findings
      .filter((f) => f.kind === 'lost')
      .map((f) => Number(/connected since (-?\d+) ms/.exec(f.actual)?.[1]));
    expect(since.length).toBeGreaterThan(0);
    for (const t of since) {
      // Not the stand-in hour of the connect phase ("connected since −3597793 ms").
      expect(t).toBeGreaterThan(-60_000);
      expect(t).toBeLessThan(0);
    }
  }, 60_000);

  it('loses nothing across kill -9 and restart of a durable server', async () => {
    const r = await run('profiles/server-kill.yaml', { durationMs: 5000 });
    expect(r.process.map((p) => p.action)).toEqual(['kill', 'restart']);
    expect(r.counters.sent).toBe(2000);
    expect(r.counters.lost).toBe(0);
    expect(r.counters.retransmits).toBeGreaterThan(0);
    expect(r.exitCode).toBe(0);
  }, 90_000);

  it('reports sends a too-heavy profile could not start as dropped, never as sent late', async () => {
    const r = await run('test/load/profiles/too-heavy.yaml');
    expect(r.schedule.offered).toBe(20_000);
    expect(r.dropped.window).toBeGreaterThan(0);
    expect(r.counters.sent + r.dropped.total).toBe(r.schedule.offered);
    expect(threshold(r, 'dropped').ok).toBe(false);
    expect(r.exitCode).toBe(1);
  }, 60_000);
});

describe('imspec load with receivers that come and go', () => {
  it('delivers everything through offline storage and reconnect sync, under a ramp with fan-out', async () => {
    const r = await run('test/load/profiles/offline.yaml');
    // 0→200 over 2 s, then 200 for 2 s: 200 + 400.
    expect(r.schedule.offered).toBe(600);
    expect(r.counters.sent).toBe(600);
    expect(r.offlineDepartures).toBeGreaterThan(0);
    expect(r.counters.delivered).toBe(600);
    expect(r.counters.lost).toBe(0);
    expect(r.counters.appDuplicates).toBe(0);
    expect(r.exitCode).toBe(0);
  }, 90_000);
});
