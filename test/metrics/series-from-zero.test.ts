/**
 * Series from zero, proven on a real Prometheus scraping every second: `imspec run
 * --metrics-port` creates every case's series at 0 before the first case and waits for a scrape
 * (--metrics-linger), so each series' first sample is 0 and increase() over the run equals the
 * ledger's figures exactly — not the 161 of 1474 sends measured when series appeared mid-case.
 *
 * increase() is evaluated at the last sample's timestamp: a counter whose first sample is 0 is
 * not extrapolated before it, and one evaluated at its last sample not after it, so Prometheus'
 * answer is the plain difference and can be compared with ==.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startPrometheus, waitFor } from '../helpers/prometheus.js';

const JOB = 'imspec-run';
const CASES = ['burst-exactly-once', 'per-sender-order', 'happy-six-frames', 'lost-msg-a'];
const dir = mkdtempSync(join(tmpdir(), 'imspec-series-zero-'));
let prometheus: RunningBinary | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface RangeSample {
  metric: Record<string, string>;
  values: [number, string][];
}

async function api<T>(path: string, params: Record<string, string>): Promise<T> {
  const res = await request(`${prometheus!.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const body = (await res.body.json()) as { status: string; error?: string; data: { result: T } };
  if (body.status !== 'success') throw new Error(`${params['query']}: ${body.error}`);
  return body.data.result;
}

describe('series from zero on a real Prometheus (1 s scrape)', () => {
  it('every case series is first scraped at 0, and increase() over the run equals the ledger', async () => {
    const report = join(dir, 'run.json');
    child = spawn(
      process.execPath,
      [
        'bin/imspec.js',
        'run',
        'suites/core',
        '--only',
        CASES.join(','),
        '--seed',
        '7',
        '--report',
        `json=${report}`,
        '--metrics-port',
        '0',
        '--metrics-linger',
        '30s',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const url = await waitFor(
      'the run to print its metrics URL',
      async () => /metrics on (http:\/\/\S+)\/metrics/.exec(stderr)?.[1],
    );
    prometheus = await startPrometheus([{ job: JOB, targets: [new URL(url).host] }]);
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain('zero values scraped');
    expect(stderr).toContain('final values scraped');

    const run = JSON.parse(readFileSync(report, 'utf8')) as {
      cases: { id: string; stats: { sent: number; accepted: number; delivered: number } }[];
    };
    expect(run.cases.map((c) => c.id).sort()).toEqual([...CASES].sort());
    const ledger = (key: 'sent' | 'accepted' | 'delivered') =>
      run.cases.reduce((sum, c) => sum + c.stats[key], 0);
    expect(ledger('sent')).toBeGreaterThan(400);

    // Raw samples: each case's first one is 0, and they end together at the final scrape.
    const raw = await api<RangeSample[]>('query', {
      query: `imspec_messages_sent_total{job="${JOB}"}[10m]`,
    });
    expect(raw.map((s) => s.metric['scenario']).sort()).toEqual([...CASES].sort());
    for (const s of raw) expect(s.values[0]![1], `first sample of ${s.metric['scenario']}`).toBe('0');
    const last = Math.max(...raw.map((s) => s.values.at(-1)![0]));

    for (const [metric, key] of [
      ['imspec_messages_sent_total', 'sent'],
      ['imspec_messages_accepted_total', 'accepted'],
      ['imspec_messages_delivered_total', 'delivered'],
    ] as const) {
      const r = await api<{ value: [number, string] }[]>('query', {
        query: `sum(increase(${metric}{job="${JOB}"}[10m]))`,
        time: String(last),
      });
      expect(Number(r[0]!.value[1]), `increase(${metric}) over the run`).toBe(ledger(key));
    }
  }, 60_000);
});
