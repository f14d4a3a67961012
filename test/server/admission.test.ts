/**
 * FRAME-8 under load: 40 connections pipelining malformed frames (thousand-key objects, deep
 * nesting, broken JSON) at the reference server, run as its own process as in production, must
 * not keep a well-behaved client out: a new connection gets hello:A promptly, every time.
 *
 * The bound asserted (a median of 2 s, none above 5 s) is a correctness bound, not a speed measurement: it is
 * far above what a fair server needs on a loaded CI machine (tens of milliseconds) and far below
 * what an unfair one takes (the issue measured 3–7.6 s, 1 in 11 timing out at 10 s, before the
 * server bounded each connection's work per turn). It fails only when one connection's flood can
 * starve the others. The speed itself is what `scripts/bench` measures.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, TestClient } from './client.js';
import { type Flooder, flood, malformedBatch } from './flood.js';
import { type ServeProcess, startServe } from './spawn.js';

const HOSTILE = 40;
const ADMISSIONS = 8;
const BOUND_MS = 2_000;
const WORST_MS = 5_000;

let server: ServeProcess;
const flooders: Flooder[] = [];

beforeAll(async () => {
  server = await startServe(['--port', '0', '--quiet', '--hmac-secret', TEST_SECRET]);
});

afterAll(async () => {
  for (const f of flooders) f.stop();
  server?.child.kill('SIGTERM');
  await server?.exited;
});

describe('reference server under 40 pipelining hostile clients', () => {
  it('admits a new well-behaved session well under the bound, every time', async () => {
    const batch = malformedBatch(4);
    flooders.push(...(await Promise.all(Array.from({ length: HOSTILE }, () => flood(server.url, batch)))));
    const times: number[] = [];
    for (let i = 0; i < ADMISSIONS; i++) {
      const started = performance.now();
      const client = await TestClient.connect(server.url);
      await client.hello(`user${i}`, 'phone');
      times.push(performance.now() - started);
      await client.close();
    }
    // The flood really ran during the admissions (else the bound proves nothing).
    expect(flooders.every((f) => f.written() > batch.length)).toBe(true);
    // The median against the bound, every one against a hello timeout's worth: one admission
    // slowed by a CPU the whole machine shares is noise; most of them slow is the starvation.
    const shown = `admission times (ms): ${times.map(Math.round).join(', ')}`;
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    expect(median, shown).toBeLessThan(BOUND_MS);
    expect(Math.max(...times), shown).toBeLessThan(WORST_MS);
  }, 60_000);
});
