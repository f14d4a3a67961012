/**
 * `imspec load` on the command line: help that teaches, and usage or profile errors that exit 2
 * at once, naming file:line:col, before any server starts.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/binary-im.js';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/imspec.js');

async function imspec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('imspec load (CLI)', () => {
  it('stays until its final values are scraped, as a run does', async () => {
    const port = await freePort();
    const out = join(dir, 'scraped.json');
    const done = imspec([
      'load',
      'test/load/profiles/tiny.yaml',
      '--seed',
      '1',
      '--quiet',
      '--out',
      out,
      '--metrics-port',
      String(port),
    ]);
    let exited = false;
    void done.then(() => (exited = true));
    // A scraper every second, as Prometheus would; the last body it got is what it holds.
    let last = '';
    while (!exited) {
      last = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => last);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const sent = (JSON.parse(readFileSync(out, 'utf8')) as { counters: { sent: number } }).counters.sent;
    const sample = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(last)?.[1]);
    expect(sample('imspec_messages_sent_total')).toBe(sent);
    // Scraped after the bots stopped: the values the report was made from.
    expect(sample('imspec_load_bots_connected')).toBe(0);
  }, 60_000);

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-load-cli-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: bad\npopulation: { senders: 2 }\nexecutor: { type: constant-arrival-rate, rate: 10, duration: 1s }\nthresholds:\n  lsot: ["== 0"]\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('explains itself: the profile, the options every profile takes, exit codes, examples', async () => {
    const r = await imspec(['load', '--help']);
    expect(r.code).toBe(0);
    for (const word of [
      '<profile>',
      '--duration',
      '--out',
      '--seed',
      '--server-fault',
      '--quiet',
      'Exit codes',
      'Examples',
    ]) {
      expect(r.stdout).toContain(word);
    }
  });

  it('refuses a bad profile with exit 2 at file:line:col, with a hint', async () => {
    const r = await imspec(['load', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'bad.yaml')}:5:3: thresholds: unknown figure "lsot"; did you mean "lost"?`,
    );
    expect(r.stderr).toContain('[IMSPEC_ERR_PROFILE]');
  });

  it('refuses bad options with exit 2 before starting anything', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['load', 'profiles/steady.yaml', '--report', 'jsn=x.json'],
        /unknown reporter "jsn".*did you mean "json"/,
      ],
      [
        ['load', 'profiles/steady.yaml', '--server-fault', 'no-dedp'],
        /unknown server fault "no-dedp"; did you mean "no-dedup"/,
      ],
      [['load', 'profiles/steady.yaml', '--duration', 'soon'], /--duration: "soon" is not a duration/],
      [['load', 'profiles/steady.yaml', '--target-cmd', 'true'], /--target-cmd needs --target/],
      [['load', 'profiles/nope.yaml'], /cannot read the file/],
    ];
    const results = await Promise.all(cases.map(([args]) => imspec(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect(results[i]!.code, args.join(' ')).toBe(2);
      expect(results[i]!.stderr).toMatch(message);
    }
  }, 120_000);
});
