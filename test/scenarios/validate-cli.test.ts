/**
 * `imspec validate` as users run it: the built CLI in a child process (`npm run build` first).
 * Exit 0 when every scenario is valid, 2 otherwise, with every problem on stderr.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixtures = join('test', 'scenarios', 'fixtures');

async function validate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/imspec.js', 'validate', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('imspec validate', () => {
  beforeAll(() => {
    if (!existsSync('dist/src/cli/commands/validate.js'))
      throw new Error('dist/ is missing: run `npm run build` first');
  });

  it('prints ok with the id of each valid scenario and exits 0', async () => {
    const result = await validate(join(fixtures, 'valid'));
    expect(result).toEqual({
      code: 0,
      stdout: [
        `ok  ${join(fixtures, 'valid', 'full.yaml')} (full-surface)`,
        `ok  ${join(fixtures, 'valid', 'minimal.yaml')} (minimal)`,
        '2 scenario file(s) valid',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints every problem as file:line:col and exits 2 when any file is invalid', async () => {
    const bad = join(fixtures, 'broken', 'unknown-key.yaml');
    const result = await validate(join(fixtures, 'valid', 'minimal.yaml'), bad);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(`ok  ${join(fixtures, 'valid', 'minimal.yaml')} (minimal)\n`);
    expect(result.stderr.split('\n')).toEqual([
      `${bad}:7:3: unknown key "retransmitMs" in client; did you mean "retransmit"? (durations drop the "Ms" suffix and take units: 500ms, 2s)`,
      `${bad}:10:5: unknown key "sned" in steps[1]; did you mean "send"?`,
      `${bad}:11:29: unknown key "stat" in steps[2].connect; did you mean "state"?`,
      `${bad}:12:1: unknown key "expcet"; did you mean "expect"?`,
      'imspec: 1 of 2 scenario file(s) invalid [IMSPEC_ERR_SCENARIO]',
      '',
    ]);
  });

  it('exits 2 for duplicate ids in a suite and for a path that does not exist', async () => {
    const dup = await validate('--quiet', join(fixtures, 'suites', 'dup'));
    expect(dup.code).toBe(2);
    expect(dup.stdout).toBe('');
    expect(dup.stderr).toContain('duplicate id "same-id" in suite "dup"');
    const missing = await validate(join(fixtures, 'nowhere'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nowhere: cannot read .*nowhere: ENOENT/);
  });

  it('explains itself with an example under --help, and needs at least one path', async () => {
    const help = await validate('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: imspec validate [options] <paths...>');
    expect(help.stdout).toContain('$ imspec validate suites/core');
    const none = await validate();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'paths'");
  });
});
