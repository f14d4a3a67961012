/**
 * Fault injection in the runner: a case's `faults:` rules put the proxies between the bots and a
 * real target, with user selectors that follow the per-run user prefix of a shared target, stream
 * rules through the TCP proxy, the seed and every injected fault in the history and the report,
 * and the reproducer file a minimisation writes. Real servers, real sockets, port 0.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadDriver } from '../../src/drivers/load.js';
import { UsageError } from '../../src/errors.js';
import type { FaultRule } from '../../src/faults/types.js';
import { ranCodec } from '../../src/protocol/ran-codec.js';
import { renderCase } from '../../src/report/console.js';
import type { CaseResult } from '../../src/report/types.js';
import { type EmbeddedTarget, startEmbedded } from '../../src/runner/embedded.js';
import {
  faultsUnsupported,
  resolveFaultRunOptions,
  scenarioWithFaults,
} from '../../src/runner/faults-setup.js';
import { runSuites } from '../../src/runner/run.js';
import { loadScenarioText } from '../../src/scenarios/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-faults-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let target: EmbeddedTarget | undefined;
afterEach(async () => {
  await target?.stop();
  target = undefined;
});

function scenarioFile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const LOST_ACCEPT = `# a lost msg:A, retransmitted
id: lost-accept
title: a lost msg:A is retransmitted and answered as a duplicate
covers: [DEDUP-1]
requires: [dedup]
users: { alice: phone, bob: phone }
client: { retransmit: 300ms }
faults:
  - { id: lose, match: { op: msg, kind: A, user: alice }, nth: 1, action: drop }
steps:
  - connect: [alice, bob]
  - misbehave: { bots: bob, withholdAcks: true }
  - send: { from: alice, to: bob, count: 2, await: accepted }
  - behave: bob
  - waitFor: settled
`;

describe('fault options', () => {
  it('default to minimising into reports/minimized within 24 runs and 60 s', () => {
    expect(resolveFaultRunOptions({})).toEqual({
      minimize: true,
      minimizeDir: 'reports/minimized',
      minimizeRuns: 24,
      minimizeMs: 60_000,
    });
  });

  it('refuse a case seed outside 32 bits, and one that would apply to several cases', async () => {
    expect(() => resolveFaultRunOptions({ caseSeed: -1 })).toThrow(UsageError);
    await expect(runSuites({ paths: ['suites/faults'], caseSeed: 7, reports: [] })).rejects.toThrow(
      /--case-seed replays one case: give --only selecting exactly one \(it selects \d+\)/,
    );
  });

  it('frame rules need a driver with a frame codec (corrupt: one that can spoil frames); stream rules run with any', async () => {
    const [frame] = loadScenarioText(LOST_ACCEPT, 'x.yaml').faults as FaultRule[];
    const mqtt = await loadDriver('mqtt');
    expect(faultsUnsupported([frame!], mqtt)).toBe(
      'frame fault rules (lose: drop) need a frame codec; the mqtt driver has none and takes stream rules only',
    );
    expect(faultsUnsupported([frame!], await loadDriver('ran'))).toBeUndefined();
    const stream = loadScenarioText(
      LOST_ACCEPT.replace(/faults:\n.*\n/, 'faults:\n  - { action: { type: latency, by: 5ms } }\n'),
      'x.yaml',
    ).faults;
    expect(faultsUnsupported(stream, mqtt)).toBeUndefined();
    const corrupt = loadScenarioText(
      LOST_ACCEPT.replace(
        /faults:\n.*\n/,
        'faults:\n  - { id: spoil, match: { op: msg }, action: corrupt }\n',
      ),
      'x.yaml',
    ).faults;
    const { corrupt: _, ...codec } = ranCodec;
    const noCorrupt = await loadDriver({
      apiVersion: 1,
      name: 'no-corrupt',
      create: () => ({}) as never,
      codec,
    });
    expect(faultsUnsupported(corrupt, noCorrupt)).toBe(
      'fault rule spoil corrupts frames, but the ran codec cannot (it has no corrupt())',
    );
  });
});

describe('a case with faults', () => {
  it('records the seed and each injected fault in the history and the report, and passes on a correct server', async () => {
    const file = scenarioFile('lost-accept', LOST_ACCEPT);
    const events: unknown[] = [];
    const run = await runSuites(
      { paths: [file], seed: 11, reports: [] },
      { onHistory: (h) => h.subscribe((e) => events.push(e)) },
    );
    const [result] = run.cases;
    expect(result?.verdict, result?.reason).toBe('PASS');
    expect(result?.faults).toEqual([
      expect.objectContaining({ rule: 'lose', action: 'drop', actor: 'alice/phone' }),
    ]);
    expect(result?.faults?.[0]?.frame).toMatch(/^\{"type":"msg:A"/);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'target',
        action: 'start',
        detail: expect.stringMatching(new RegExp(`1 frame and 0 stream rules, seed ${result?.seed}$`)),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'fault', rule: 'lose', layer: 'frame', type: 'msg:A', occurrence: 1 }),
    );
    expect(result?.replay).toBe(
      `imspec run ${file} --only lost-accept --seed 11 --case-seed ${result?.seed}`,
    );
  });

  it('on a shared target, user selectors follow the per-run user prefix', async () => {
    const secret = 'faults-shared-secret';
    target = await startEmbedded({ secret, faults: [] });
    const file = scenarioFile('lost-accept-shared', LOST_ACCEPT);
    const run = await runSuites({ paths: [file], target: target.url, hmacSecret: secret, reports: [] });
    const [result] = run.cases;
    expect(result?.verdict, result?.reason).toBe('PASS');
    // Without the prefix the selector "alice" would never match the target's "<run>-0-0-alice".
    expect(result?.faults).toHaveLength(1);
    expect(result?.faults?.[0]?.actor).toMatch(/^\d{14}-[0-9a-f]{6}-0-0-alice\/phone$/);
  });

  it('stream rules go through the TCP proxy, in front of the frame proxy when a case has both', async () => {
    const text = LOST_ACCEPT.replace(
      'faults:\n',
      'faults:\n  - { id: slow, match: { direction: to-client }, action: { type: latency, by: 20ms } }\n',
    );
    const run = await runSuites({ paths: [scenarioFile('both-layers', text)], reports: [] });
    const [result] = run.cases;
    expect(result?.verdict, result?.reason).toBe('PASS');
    const actions = (result?.faults ?? []).map((f) => `${f.rule}:${f.action}`);
    expect(actions).toContain('lose:drop');
    expect(actions).toContain('slow:latency');
  });
});

describe('reports of fault cases', () => {
  const failing: CaseResult = {
    id: 'flaky-receipts',
    title: 't',
    suite: 'faults',
    file: 'suites/faults/x.yaml',
    severity: 'MUST',
    covers: ['DEDUP-2'],
    verdict: 'FLAKY',
    reason: '1/3 runs passed',
    durationMs: 900,
    seed: 5,
    findings: [],
    wireLog: [],
    passRate: { passed: 1, runs: 3, failingSeeds: [5, 6] },
    replay: 'imspec run x.yaml --only flaky-receipts --seed 1 --case-seed 5',
    replays: [
      'imspec run x.yaml --only flaky-receipts --seed 1 --case-seed 5',
      'imspec run x.yaml --only flaky-receipts --seed 1 --case-seed 6',
    ],
    faults: Array.from({ length: 10 }, (_, i) => ({
      t: 10 + i,
      rule: 'loss',
      action: 'drop',
      actor: 'alice/phone',
      frame: `{"type":"ack:N","n":${i}}`,
    })),
    minimized: {
      file: 'reports/minimized/flaky-receipts-seed-5.yaml',
      events: 1,
      of: 3,
      runs: 5,
      exhausted: false,
    },
  };

  it('the console lists the faults with the seed, a replay per failing seed, and the minimised file', () => {
    const text = renderCase(failing, { color: false }).join('\n');
    expect(text).toContain('10 faults injected (seed 5):');
    expect(text).toMatch(/ {2}10\.0 ms loss: drop alice\/phone \{"type":"ack:N","n":0\}/);
    expect(text).toContain('… 2 more (all in the JSON report)');
    expect(text).toContain('replay: imspec run x.yaml --only flaky-receipts --seed 1 --case-seed 5');
    expect(text).toContain('replay: imspec run x.yaml --only flaky-receipts --seed 1 --case-seed 6');
    expect(text).toContain(
      'minimised: 1 of 3 faults still fail it (5 replays): reports/minimized/flaky-receipts-seed-5.yaml',
    );
  });

  it('a passing case shows no fault details', () => {
    expect(renderCase({ ...failing, verdict: 'PASS' }, { color: false })).toHaveLength(1);
  });
});

describe('the minimised scenario file', () => {
  it('keeps the case as written, comments included, with only the given faults and a header that says how', () => {
    const file = scenarioFile('source', LOST_ACCEPT);
    const rules = loadScenarioText(
      LOST_ACCEPT.replace('nth: 1', 'nth: 2').replace('id: lose', 'id: lose.7'),
      'x.yaml',
    ).faults;
    const text = scenarioWithFaults(file, rules, 'Minimised by imspec\n1 of 4 fault events');
    expect(text.startsWith('# Minimised by imspec\n# 1 of 4 fault events\n')).toBe(true);
    expect(text).toContain('# a lost msg:A, retransmitted\n');
    expect(text).toContain('users: { alice: phone, bob: phone }\n');
    expect(text).toContain(
      '  - id: lose.7\n    match: { op: msg, kind: A, user: alice }\n    nth: 2\n    action: drop\n',
    );
    const again = loadScenarioText(text, 'min.yaml');
    expect(again.faults.map((r) => [r.id, r.nth])).toEqual([['lose.7', 2]]);
    expect(again.steps).toHaveLength(5);
    expect(readFileSync(file, 'utf8')).toBe(LOST_ACCEPT);
  });
});
