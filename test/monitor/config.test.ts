import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadMonitorConfig, parseDuration } from '../../src/monitor/config.js';
import { RollingHistory } from '../../src/monitor/rolling-history.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function file(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'imspec-monitor-config-'));
  const path = join(dir, 'monitor.yaml');
  writeFileSync(path, text);
  return path;
}

const GOOD = `target: ws://127.0.0.1:7400
interval: 15s
timeout: 5s
accounts:
  - user: probe-a
    tokenEnv: PROBE_A
  - user: probe-b
    device: phone
    tokenEnv: PROBE_B
metrics:
  port: 9100
`;

describe('monitor config', () => {
  it('resolves durations and defaults, and takes tokens from the environment', () => {
    const c = loadMonitorConfig(file(GOOD), { PROBE_A: 'ta', PROBE_B: 'tb' });
    expect(c).toMatchObject({
      target: 'ws://127.0.0.1:7400',
      driver: 'ran',
      intervalMs: 15_000,
      timeoutMs: 5_000,
      retransmitMs: 1_000,
      scenario: 'monitor',
      metrics: { host: '127.0.0.1', port: 9100 },
    });
    expect(c.accounts).toEqual([
      { user: 'probe-a', device: 'monitor', token: 'ta', tokenEnv: 'PROBE_A' },
      { user: 'probe-b', device: 'phone', token: 'tb', tokenEnv: 'PROBE_B' },
    ]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses a token written in the file, pointing at its line', () => {
    const path = file(GOOD.replace('    tokenEnv: PROBE_B', '    token: hunter2'));
    expect(() => loadMonitorConfig(path, { PROBE_A: 'ta' })).toThrow(
      new RegExp(
        `^${path}:9:5: credentials never go in the file: name an environment variable with tokenEnv$`,
      ),
    );
  });

  it('refuses a missing environment variable, an unknown key and a single account', () => {
    expect(() => loadMonitorConfig(file(GOOD), { PROBE_A: 'ta' })).toThrow(
      /:9:5: environment variable PROBE_B \(token of probe-b\) is not set/,
    );
    expect(() => loadMonitorConfig(file(`${GOOD}intervall: 3s\n`), { PROBE_A: 'a', PROBE_B: 'b' })).toThrow(
      /:12:1: unknown key "intervall"/,
    );
    const one = 'target: ws://h:1\naccounts:\n  - { user: a, tokenEnv: A }\n';
    expect(() => loadMonitorConfig(file(one), { A: 'x' })).toThrow(ConfigError);
    expect(() => loadMonitorConfig(file('target: [\n'), {})).toThrow(/not valid YAML/);
  });

  it('takes the canary body shape, defaults to the cmid alone, and refuses a bad one at its key', () => {
    const env = { PROBE_A: 'a', PROBE_B: 'b' };
    expect(loadMonitorConfig(file(GOOD), env).canary).toEqual({ size: 0, text: 'ascii' });
    expect(loadMonitorConfig(file(`${GOOD}canary: { size: 2048, text: unicode }\n`), env).canary).toEqual({
      size: 2048,
      text: 'unicode',
    });
    expect(() => loadMonitorConfig(file(`${GOOD}canary: { size: -1 }\n`), env)).toThrow(
      /:12:11: size is an integer from 0 to 16384/,
    );
    expect(() => loadMonitorConfig(file(`${GOOD}canary: { text: emoji }\n`), env)).toThrow(
      /:12:11: text is ascii or unicode/,
    );
    expect(() => loadMonitorConfig(file(`${GOOD}canary: { bytes: 3 }\n`), env)).toThrow(
      /:12:11: unknown key "bytes": expected size or text/,
    );
  });

  it('parses durations and refuses nonsense', () => {
    expect([parseDuration('250ms', 'x'), parseDuration('2m', 'x'), parseDuration(40, 'x')]).toEqual([
      250, 120_000, 40,
    ]);
    expect(() => parseDuration('soon', 'interval')).toThrow(/interval: "soon" is not a duration/);
  });
});

describe('rolling history', () => {
  it('keeps only its newest events but shows every event to listeners', () => {
    const history = new RollingHistory(10);
    let seen = 0;
    history.subscribe(() => seen++);
    for (let i = 0; i < 1_000; i++) history.append({ kind: 'gap', t: i, actor: 'a/b', have: i, saw: i + 2 });
    expect(seen).toBe(1_000);
    expect(history.events.length).toBeLessThan(20);
    expect(history.events.at(-1)).toMatchObject({ t: 999 });
  });
});
