/**
 * `imspec monitor --cycles N` on a real Prometheus: the last cycle's values are scraped before it
 * stops, so what Prometheus holds is what the cycles did (a monitor that stopped at once left the
 * last cycle unseen: 38 of 40 canaries, 38 of 40 findings after 20 cycles).
 */

import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { type CycleResult, startMonitor } from '../../src/monitor/monitor.js';
import { canaryConfig, canaryTarget } from '../helpers/canary-monitor.js';
import { freePort } from '../helpers/ports.js';
import { query, type RunningBinary, startPrometheus, waitFor } from '../helpers/prometheus.js';

const SECRET = 'final-scrape';
let prometheus: RunningBinary | undefined;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await prometheus?.stop();
});

describe('a monitor with --cycles on a real Prometheus', () => {
  it('has its last cycle scraped before it stops', async () => {
    const target = await canaryTarget(SECRET, []);
    closers.push(() => target.close());
    const port = await freePort();
    prometheus = await startPrometheus([{ job: 'monitor', targets: [`127.0.0.1:${port}`] }]);
    // Scraping has begun (the target is down until the monitor serves): a fresh Prometheus
    // applies its targets a few seconds after start.
    await waitFor('Prometheus scraping', async () => {
      const up = await query(prometheus!.url, 'up{job="monitor"}');
      return up.length > 0 ? true : undefined;
    });
    const config = {
      ...canaryConfig(target.url, 'final', SECRET, { interval: '1s' }),
      metrics: { host: '127.0.0.1', port },
    };
    const cycles: CycleResult[] = [];
    const monitor = await startMonitor(config, {
      registry: new Registry(),
      maxCycles: 3,
      onCycle: (c) => cycles.push(c),
    });
    // As the CLI does: stop as soon as the cycles are done; /metrics goes with it.
    await monitor.done;
    await monitor.stop();
    const canaries = cycles.reduce((n, c) => n + c.directions.length, 0);
    expect(canaries).toBe(6);
    const sent = () =>
      query(prometheus!.url, 'sum(last_over_time(imspec_messages_sent_total{job="monitor"}[1m]))');
    // The scrape was served before stop(); Prometheus stores it a moment later.
    await waitFor('the last scrape stored', async () => ((await sent()).length > 0 ? true : undefined), {
      timeoutMs: 5_000,
    });
    expect((await sent()).map((s) => Number(s.value[1]))).toEqual([canaries]);
  });
});
