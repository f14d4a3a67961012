/**
 * Stream faults reach targets the kit does not parse: with the mqtt driver the runner puts the
 * TCP proxy between the bots and a real Mosquitto broker (latency and slicing of the MQTT bytes),
 * records each stream fault in the report, and calls a case with frame rules UNSUPPORTED (there
 * are no RAN/1 frames to select).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuites } from '../../src/runner/run.js';
import { type MosquittoServer, startMosquitto } from '../helpers/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-faults-mqtt-'));
let broker: MosquittoServer;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(id: string, faults: string): string {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(
    file,
    `id: ${id}
title: messages cross a slow, sliced link to the broker exactly once
covers: [MSG-2]
users: { alice: phone, bob: phone }
faults:
${faults}
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 10, await: accepted }
  - waitFor: { condition: settled, timeout: 10s }
expect: { receipt: none }
`,
  );
  return file;
}

describe('stream faults with the mqtt driver', () => {
  it('run through the TCP proxy in front of Mosquitto and are reported per connection', async () => {
    const file = scenario(
      'slow-broker',
      [
        '  - { id: slow, match: { direction: to-client }, action: { type: latency, by: 30ms } }',
        '  - { id: tiny-writes, match: { direction: to-server }, action: { type: slice, bytes: 7 } }',
      ].join('\n'),
    );
    const run = await runSuites({ paths: [file], driver: 'mqtt', target: broker.url, reports: [] });
    const [result] = run.cases;
    expect(result?.verdict, result?.reason).toBe('PASS');
    expect(result?.stats?.delivered).toBe(10);
    const faults = result?.faults ?? [];
    expect(new Set(faults.map((f) => `${f.rule}:${f.action}`))).toEqual(
      new Set(['slow:latency', 'tiny-writes:slice']),
    );
    expect(result?.replay).toContain(`--driver mqtt`);
  });

  it('a case with frame rules is UNSUPPORTED, saying why', async () => {
    const file = scenario(
      'frame-rule',
      '  - { id: lose, match: { op: msg, kind: A }, nth: 1, action: drop }',
    );
    const run = await runSuites({ paths: [file], driver: 'mqtt', target: broker.url, reports: [] });
    expect(run.cases[0]?.verdict).toBe('UNSUPPORTED');
    expect(run.cases[0]?.reason).toContain(
      'frame fault rules (lose: drop) need a frame codec; the mqtt driver has none and takes stream rules only',
    );
  });
});
