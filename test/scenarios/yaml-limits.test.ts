import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { checkProfileText } from '../../src/load/profile/load-profile.js';
import { loadMonitorConfig } from '../../src/monitor/config.js';
import { checkScenarioFile, checkScenarioText, formatIssue } from '../../src/scenarios/loader.js';
import { readYamlFile, YAML_LIMITS } from '../../src/scenarios/yaml-limits.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function file(content: string | Buffer, name = 'case.yaml'): string {
  dir ??= mkdtempSync(join(tmpdir(), 'imspec-yaml-limits-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const HEAD = ['id: x', 'title: t', 'covers: [RID-1]', 'users: {a: p}'];

/** The issues of a scenario text, as `validate` prints them. */
const issues = (text: string) => checkScenarioText(text, 'case.yaml').issues.map(formatIssue);

// Every message must be printable: a binary file's bytes must never reach the terminal raw.
const PRINTABLE = /^[\u0020-\u007e\u00a0-\u2fff]*$/;

describe('bounded YAML input', () => {
  it('refuses a file above the size limit before parsing it, naming the limit', () => {
    const big = file(`id: big\ndescription: |\n${`  ${'x'.repeat(98)}\n`.repeat(3_000)}`);
    const check = checkScenarioFile(big);
    expect(check.issues).toHaveLength(1);
    expect(check.issues[0]!.message).toMatch(
      /^the file is 296 KiB; imspec reads YAML files of at most 256 KiB \(262,144 bytes\)/,
    );
    expect(check.issues[0]!.line).toBeUndefined();
  });

  it('reads a device only up to the limit instead of forever', () => {
    const read = readYamlFile('/dev/zero');
    expect(read).toEqual({ problem: { message: expect.stringMatching(/above 256 KiB/) } });
  });

  it('refuses nesting beyond the depth limit at file:line:col, flow or block, without overflowing the stack', () => {
    const flow = issues(`id: x\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(flow).toEqual([
      expect.stringMatching(/^case\.yaml:2:\d+: nested too deep here: .* at most 64 levels/),
    ]);
    const block = issues(`id: x\nsteps:\n  ${'- '.repeat(100_000)}x\n`);
    expect(block).toEqual([expect.stringMatching(/^case\.yaml:3:\d+: nested too deep here/)]);
    // The exact limit: 64 levels read (and then fail as a scenario), 65 do not.
    const nested = (n: number) => `${'['.repeat(n - 1)}1${']'.repeat(n - 1)}`;
    expect(issues(`a: ${nested(YAML_LIMITS.maxDepth - 1)}\n`).join()).not.toMatch(/too deep/);
    expect(issues(`a: ${nested(YAML_LIMITS.maxDepth)}\n`).join()).toMatch(/too deep/);
  });

  it('counts nesting that aliases add: an anchor nested 40 deep used 40 deep is too deep', () => {
    const forty = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const text = `a: &deep ${forty}\nb: ${'['.repeat(40)}*deep${']'.repeat(40)}\n`;
    expect(issues(text)).toEqual([expect.stringMatching(/^case\.yaml:2:\d+: nested too deep here/)]);
  });

  it('says a file holds one document when it has several, at the second one', () => {
    expect(issues('id: a\n---\nid: b\n')).toEqual([
      'case.yaml:2:1: a second YAML document starts here (after "---"): a file holds one document — put each in its own file',
    ]);
  });

  it('accepts 2,000 legitimate aliases', () => {
    const steps = ['steps:', '  - send: &burst {from: a, to: a, count: 1}'];
    for (let i = 1; i < 2000; i++) steps.push('  - send: *burst');
    const check = checkScenarioText([...HEAD, ...steps, ''].join('\n'), 'case.yaml');
    expect(check.issues).toEqual([]);
    expect(check.scenario?.steps).toHaveLength(2000);
  });

  it('refuses an alias bomb by the values it would expand to, and an alias inside its own anchor', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(issues(lines.join('\n'))).toEqual([
      expect.stringMatching(
        /^case\.yaml:1:1: this document holds [\d,]+ values once its aliases are expanded; imspec reads at most 1,000,000/,
      ),
    ]);
    expect(issues('a: &self [1, *self]\n')).toEqual([
      'case.yaml:1:14: alias *self stands inside the value it names, which would be infinite; copy the value instead',
    ]);
  });

  it('says a binary file is not UTF-8 text at its line:col and never echoes its bytes', () => {
    const garbage = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 131 + 7) % 256));
    const check = checkScenarioFile(file(Buffer.concat([Buffer.from('id: x\nti'), garbage])));
    expect(check.issues.map(formatIssue)).toEqual([
      expect.stringMatching(
        /case\.yaml:2:\d+: not UTF-8 text: byte 0x[0-9A-F]{2} here starts no valid character/,
      ),
    ]);
    // Valid UTF-8 with control characters (NUL, ESC): named by code point, not printed.
    const control = issues('id: x\ntitle: "\u001b[31mred"\nbody: \u0000\n');
    expect(control).toEqual([
      expect.stringMatching(/^case\.yaml:2:9: not text: control character U\+001B here/),
    ]);
    for (const line of [...check.issues.map(formatIssue), ...control]) expect(line).toMatch(PRINTABLE);
  });

  it('refuses durations longer than a Node timer can wait, at the value, in imspec words', () => {
    const at = (timeout: string) =>
      issues([...HEAD, `timeout: ${timeout}`, 'steps: [{waitFor: settled}]', ''].join('\n'));
    expect(at('99999999999999999999m')).toEqual([
      'case.yaml:5:10: timeout: 99999999999999999999m is longer than imspec can wait: durations go up to 2147483647ms (about 24.8 days, the longest a Node timer waits)',
    ]);
    expect(at('2147483648')).toEqual([
      expect.stringMatching(/^case\.yaml:5:10: timeout: 2147483648 ms is longer than/),
    ]);
    expect(at('2147483647ms')).toEqual([]);
    expect(at('35791m')).toEqual([]);
    // Fault actions are worded by the fault resolver; the same bound holds there.
    const fault = [
      ...HEAD,
      'steps: [{waitFor: settled}]',
      'faults:',
      '  - match: {type: msg:R}',
      '    action: {type: delay, by: 9999999999999s}',
      '',
    ].join('\n');
    expect(issues(fault).join('\n')).toMatch(
      /^case\.yaml:8:\d+: .*9999999999999s is longer than imspec can wait/,
    );
  });

  it('applies the same bounds to load profiles and monitor configs', () => {
    const profile = checkProfileText('name: x\n---\nname: y\n', 'load.yaml');
    expect(profile.issues.map((i) => `${i.line}:${i.col}: ${i.message}`)).toEqual([
      expect.stringMatching(/^2:1: a second YAML document starts here/),
    ]);
    const monitor = file(
      [
        'target: ws://127.0.0.1:1',
        'interval: 99999999999999999999m',
        'accounts: [{user: a, tokenEnv: A}, {user: b, tokenEnv: B}]',
        '',
      ].join('\n'),
      'monitor.yaml',
    );
    const env = { A: 'x', B: 'y' };
    expect(() => loadMonitorConfig(monitor, env)).toThrow(ConfigError);
    expect(() => loadMonitorConfig(monitor, env)).toThrow(/monitor\.yaml:2:1: .*longer than imspec can wait/);
    const binary = file(Buffer.from([0x74, 0x3a, 0x20, 0xff, 0xfe, 0x00]), 'bin.yaml');
    expect(() => loadMonitorConfig(binary, {})).toThrow(/bin\.yaml:1:4: not UTF-8 text: byte 0xFF/);
  });
});
