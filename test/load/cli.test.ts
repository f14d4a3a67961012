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
import { freePort } from '../helpers/ports.js';
import { startPushgateway } from '../helpers/prometheus.js';

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
    // A healthy embedded server sends, so `sent == 0` breaks: a FAIL (exit 1) in about a second.
    writeFileSync(
      join(dir, 'fails.yaml'),
      'name: fails\npopulation: { senders: 2, pairing: pairs }\nexecutor: { type: constant-arrival-rate, rate: 10, duration: 1s }\nthresholds:\n  sent: ["== 0"]\n',
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
      [['load', 'profiles/steady.yaml', '--duration', '0'], /--duration must be longer than 0/],
      [['load', 'profiles/steady.yaml', '--target-cmd', 'true'], /--target-cmd needs --target/],
      [['load', 'profiles/nope.yaml'], /cannot read the file/],
      // Checked as the option is read, as run and check do: not after the whole run.
      [
        ['load', 'profiles/steady.yaml', '--duration', '1s', '--pushgateway', 'not-a-url'],
        /--pushgateway "not-a-url" is not a URL/,
      ],
      [
        ['load', 'profiles/steady.yaml', '--workers', '1.5'],
        /--workers must be a whole number, 0 or more \(0 runs the bots in this process\), got "1.5"/,
      ],
      [['load', 'profiles/steady.yaml', '--servers', '0'], /--servers must be a positive integer, got "0"/],
      [
        ['load', 'profiles/steady.yaml', '--metrics-port', '0x10'],
        /--metrics-port must be a port from 0 to 65535/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => imspec(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect(results[i]!.code, args.join(' ')).toBe(2);
      expect(results[i]!.stderr).toMatch(message);
      // Nothing ran: no summary, no progress.
      expect(results[i]!.stdout, args.join(' ')).toBe('');
      expect(results[i]!.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  }, 120_000);

  it('takes --seed by the rule run has: 0x10 is the same usage error, word for word', async () => {
    const [load, run] = await Promise.all([
      imspec(['load', 'profiles/steady.yaml', '--seed', '0x10', '--duration', '1s']),
      imspec(['run', '--seed', '0x10']),
    ]);
    expect(load.code).toBe(2);
    expect(load.stdout).toBe('');
    expect(load.stderr).toMatch(/--seed must be a decimal integer from 0 to 4294967295, got "0x10"/);
    expect(load.stderr).toBe(run.stderr);
  });

  it('keeps the verdict exit code 1 when the push to the Pushgateway fails too, and says why', async () => {
    const r = await imspec([
      'load',
      join(dir, 'fails.yaml'),
      '-q',
      '--pushgateway',
      `http://127.0.0.1:${await freePort()}`,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /imspec load: pushgateway PUT .*\/metrics\/job\/imspec-load\/run_id\/\S+ failed: .*\[IMSPEC_ERR_METRICS_EXPORT\] \(exit 1: the verdict's\)/,
    );
  }, 60_000);

  it('pushes to a Pushgateway that answers, says where, and keeps the verdict (as run -q does)', async () => {
    const pushgateway = await startPushgateway();
    try {
      const r = await imspec(['load', join(dir, 'fails.yaml'), '-q', '--pushgateway', pushgateway.url]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`imspec load: metrics pushed to ${pushgateway.url}/metrics/job/imspec-load/run_id/\\S+`),
      );
    } finally {
      await pushgateway.stop();
    }
  }, 60_000);
});
