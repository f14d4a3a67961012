/**
 * The monitor runs for months: its memory must stay flat. This drives thousands of probe
 * cycles back to back (interval 0) against an in-process reference server and checks that the
 * heap after a long run is not meaningfully above the heap after a warm-up.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMonitorConfig } from '../../src/monitor/config.js';
import { type RunningMonitor, startMonitor } from '../../src/monitor/monitor.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { type RunningServer, startServer } from '../../src/server/server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECRET = 'memory-test';
let server: RunningServer | undefined;
let monitor: RunningMonitor | undefined;
let cleanup = () => {};
afterAll(async () => {
  await monitor?.stop();
  await server?.close();
  cleanup();
});

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('monitor memory', () => {
  it('stays flat over thousands of probe cycles (rolling history, bounded maps)', async () => {
    // The server's fsyncs are not what is measured: on tmpfs they are free, and the run is quick.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'imspec-monitor-'));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    server = await startServer({ port: 0, hmacSecret: SECRET, db: join(dir, 'server.db') });
    const config = resolveMonitorConfig(
      {
        target: server.url,
        interval: 0,
        timeout: '2s',
        accounts: [
          { user: 'mem-a', tokenEnv: 'A' },
          { user: 'mem-b', tokenEnv: 'B' },
        ],
      },
      { A: hmacToken(SECRET, 'mem-a'), B: hmacToken(SECRET, 'mem-b') },
    );
    // Past 1,000 cycles every bounded map is full: growth after that would be a leak.
    const WARMUP = 1_200;
    const TOTAL = 3_000;
    let warm = 0;
    let failures = 0;
    let atWarm!: () => void;
    const warmed = new Promise<void>((r) => (atWarm = r));
    const started = performance.now();
    monitor = await startMonitor(config, {
      serve: false,
      maxCycles: TOTAL,
      onCycle: (r) => {
        if (!r.success) failures++;
        if (r.cycle === WARMUP) atWarm();
      },
    });
    await warmed;
    warm = heapMiB();
    await monitor.done;
    const end = heapMiB();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `monitor memory: ${TOTAL} cycles (${TOTAL * 2} canaries) in ${seconds.toFixed(1)} s, ` +
        `heap ${warm.toFixed(1)} MiB after ${WARMUP} → ${end.toFixed(1)} MiB after ${TOTAL}`,
    );
    expect(failures).toBe(0);
    expect(monitor.history.events.length).toBeLessThan(2 * 1_000);
    // 1,800 more cycles left behind less than 2 MiB (an unbounded history alone would add about 8).
    expect(end - warm).toBeLessThan(2);
  }, 120_000);
});
