/**
 * What a profile cannot be, said in one line at file:line:col: a population too big for any run
 * (it ran out of heap after half a minute), and a scenario given to `imspec load` (it got a line
 * for each of its keys). Plus `-q`, the short form `imspec run` has too.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  checkProfileText,
  formatProfileIssue,
  MAX_PROFILE_CONNECTIONS,
} from '../../src/load/profile/load-profile.js';
import { assertBuilt, CLI } from '../server/spawn.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const issues = (text: string) => checkProfileText(text, 'p.yaml').issues.map(formatProfileIssue);
const profile = (population: string) =>
  `name: big\npopulation: ${population}\nexecutor: { type: constant-arrival-rate, rate: 10, duration: 2s }\n`;

async function load(args: string[]): Promise<{ code: number; stderr: string }> {
  assertBuilt();
  try {
    const { stderr } = await exec(process.execPath, [CLI, 'load', ...args], { cwd: ROOT });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('load profile limits', () => {
  it('refuse a population bigger than any run, at the senders, saying what is realistic', () => {
    expect(issues(profile('{ senders: 100000000 }'))).toEqual([
      expect.stringMatching(
        /^p\.yaml:2:24: population\.senders: this population makes 200,000,000 connections; a profile takes at most 1,000,000\. One machine holds about 50,000 bots .*--shard i\/N/,
      ),
    ]);
    // Receivers and devices count too: 100,000 senders with 4 receivers of 3 devices each.
    expect(issues(profile('{ senders: 100000, pairing: fanout, fanout: 4, devices: 3 }'))).toHaveLength(1);
    // The limit itself is allowed.
    expect(issues(profile(`{ senders: ${MAX_PROFILE_CONNECTIONS / 2} }`))).toEqual([]);
  });

  it('tell a scenario from a profile in one line: use imspec run', async () => {
    const text = 'name: s\nsteps:\n  - connect: { user: a }\n';
    expect(issues(text)).toEqual([
      'p.yaml:2:1: this is a scenario (it has steps:), not a load profile: run it with imspec run; imspec load takes a load profile (profiles/, docs/load.md)',
    ]);
    const r = await load(['suites/core/auth.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/suites\/core\/auth\.yaml:\d+:\d+: this is a scenario .*imspec run/);
  });

  it('take -q for --quiet, as imspec run does', async () => {
    const r = await load(['profiles/nope.yaml', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read the file/);
    expect(r.stderr).not.toMatch(/unknown option/);
  });
});
