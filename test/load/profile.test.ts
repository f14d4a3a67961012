/**
 * Load profiles are checked like scenarios: every problem at its file:line:col, with
 * did-you-mean hints; a good profile resolves with the scenarios' client defaults. Every shipped
 * profile loads.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import loadSchema from '../../schemas/load.schema.json' with { type: 'json' };
import { LOAD_DEFAULTS } from '../../src/load/profile/defaults.js';
import {
  checkProfileText,
  formatProfileIssue,
  loadProfileFile,
  loadProfileText,
} from '../../src/load/profile/load-profile.js';
import { DEFAULT_CLIENT_OPTIONS } from '../../src/scenarios/defaults.js';

const issues = (text: string) => checkProfileText(text, 'p.yaml').issues.map(formatProfileIssue);

const minimal = `name: m
population: { senders: 3 }
executor: { type: constant-arrival-rate, rate: 10, duration: 2s }
`;

describe('load profiles', () => {
  it('resolve with every default in place and the scenarios client options', () => {
    const p = loadProfileText(minimal, 'm.yaml');
    expect(p.population).toMatchObject({
      senders: 3,
      pairing: LOAD_DEFAULTS.pairing,
      devices: LOAD_DEFAULTS.devices,
      connectRate: LOAD_DEFAULTS.connectRate,
    });
    expect(p.client).toEqual(DEFAULT_CLIENT_OPTIONS);
    expect(p.window).toBe(LOAD_DEFAULTS.window);
    expect(p.drainMs).toBe(LOAD_DEFAULTS.drainMs);
    expect(p.messageSize).toBe(LOAD_DEFAULTS.messageSize);
    expect(p.durationMs).toBe(2000);
    expect(p.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(p.population)).toBe(true);
  });

  it('state the same defaults in the schema as in defaults.ts', () => {
    const d = loadSchema.$defs;
    expect(loadSchema.properties.window.default).toBe(LOAD_DEFAULTS.window);
    expect(d.population.properties.pairing.default).toBe(LOAD_DEFAULTS.pairing);
    expect(d.population.properties.fanout.default).toBe(LOAD_DEFAULTS.fanout);
    expect(d.population.properties.groupSize.default).toBe(LOAD_DEFAULTS.groupSize);
    expect(d.population.properties.devices.default).toBe(LOAD_DEFAULTS.devices);
    expect(d.population.properties.connectRate.default).toBe(LOAD_DEFAULTS.connectRate);
    expect(d.message.properties.size.default).toBe(LOAD_DEFAULTS.messageSize);
    expect(loadSchema.properties.drain.default).toBe(`${LOAD_DEFAULTS.drainMs / 1000}s`);
  });

  it('name a misspelt executor type at the type, with the executors there are', () => {
    // With or without the rest of the executor: the type is the mistake either way.
    for (const rest of ['', ', rate: 10, duration: 5s']) {
      expect(
        issues(`name: x\npopulation: { senders: 10 }\nexecutor: { type: constant-arival-rate${rest} }\n`),
      ).toEqual([
        'p.yaml:3:19: executor.type: expected constant-arrival-rate or ramping-arrival-rate, got "constant-arival-rate"; did you mean "constant-arrival-rate"?',
      ]);
    }
  });

  it('point at each mistake with file:line:col and a did-you-mean hint', () => {
    const bad = `name: x
population: { senders: 10, pairng: pairs }
executor: { type: constant-arrival-rate, rate: 10, duraton: 5s }
client: { retransmitMs: 5 }
faults:
  - { probability: 0.05, action: dorp }
`;
    expect(issues(bad)).toEqual([
      'p.yaml:2:28: unknown key "pairng" in population; did you mean "pairing"?',
      'p.yaml:3:11: executor: missing required key "duration"',
      'p.yaml:3:52: unknown key "duraton" in executor; did you mean "duration"?',
      'p.yaml:4:11: unknown key "retransmitMs" in client; did you mean "retransmit"? (durations drop the "Ms" suffix and take units: 500ms, 2s)',
      expect.stringMatching(
        /^p\.yaml:6:34: faults\[0\]\.action: unknown action "dorp" \(did you mean "drop"\?\)/,
      ),
    ]);
  });

  it('check what the schema cannot: thresholds, step windows, pause durations, ramps', () => {
    const bad = `name: x
population: { senders: 10 }
executor: { type: ramping-arrival-rate, stages: [{ target: 10, duration: 0s }] }
faults:
  - { action: drop, from: 3 }
thresholds:
  lsot: ['== 0']
  ack_latency.msg_a: ['< 5ms']
  lost: ['p(99) == 0']
  retransmit_rate: ['< 2%', 'about 3']
process:
  - { at: 1s, action: pause }
`;
    expect(issues(bad)).toEqual([
      'p.yaml:3:74: executor.stages.0.duration: must be longer than 0',
      'p.yaml:5:27: faults[0].from: a load profile has no steps; write a time since the run began, e.g. from: 10s',
      'p.yaml:7:3: thresholds: unknown figure "lsot"; did you mean "lost"?',
      "p.yaml:8:23: thresholds.ack_latency.msg_a[0]: ack_latency.msg_a is a latency: say which aggregate, e.g. 'p(99) < 200ms' (p(N), max, min, avg, med)",
      "p.yaml:9:10: thresholds.lost[0]: lost is a single number, not a distribution: write it like '== 0'",
      `p.yaml:10:29: thresholds.retransmit_rate[1]: cannot read threshold "about 3" for retransmit_rate: write it like '< 0.02'`,
      'p.yaml:12:5: process[0]: pause needs `for` (how long the target stays stopped)',
      'p.yaml:12:11: process[0].at: 1000 ms is after the last scheduled send (0 ms)',
    ]);
  });

  it('refuse a bad file as one ProfileError (exit 2) naming the first position', () => {
    expect(() => loadProfileText('name: [', 'broken.yaml')).toThrow(/^broken\.yaml:1:8: /);
    try {
      loadProfileText(`${minimal}window: 0\n`, 'w.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string; exitCode: number }).code).toBe('IMSPEC_ERR_PROFILE');
      expect((error as { exitCode: number }).exitCode).toBe(2);
      expect((error as Error).message).toMatch(/^w\.yaml:4:9: /);
    }
  });

  it('ship profiles that all load, each with a comment saying what it shows', () => {
    const files = readdirSync('profiles').filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const p = loadProfileFile(`profiles/${f}`);
      expect(p.name).toBe(f.replace(/\.yaml$/, ''));
      expect(p.thresholds.length).toBeGreaterThan(0);
      expect(readFileSync(`profiles/${f}`, 'utf8')).toMatch(/^# .+\n#\n# /);
    }
  });
});
