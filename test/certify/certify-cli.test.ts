/**
 * `imspec certify` as a person runs it, against a real Mosquitto started by its launch script:
 * the document it writes (title, version, exact command, config, verdicts, readings), the
 * expected-failures draft, and one expected-failures file serving a subset of the suites.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/types.js';
import { freePort } from '../helpers/ports.js';
import { certifyRun, cleanup, imspec, MOSQUITTO, tempDir } from './cli.js';

const EXPECTED = 'suites/expected/mosquitto-2.0.json';

describe('imspec certify', () => {
  afterAll(() => cleanup(MOSQUITTO));

  it('writes the certification document and a draft of the expected failures for review', async () => {
    const port = await freePort();
    const dataDir = tempDir('imspec-certify-data-');
    const out = tempDir('imspec-certify-out-');
    const draft = join(out, 'draft.json');
    const json = join(out, 'run.json');
    const args = [
      'certify',
      ...['--name', 'Mosquitto 2.0', '--driver', 'mqtt', '--target', `mqtt://127.0.0.1:${port}`],
      ...['--target-cmd', `exec scripts/targets/mosquitto.sh ${port} ${dataDir}`],
      ...['--version-cmd', 'echo Debian test-version', '--config', `${dataDir}/mosquitto.conf`],
      ...[
        '--log',
        `${dataDir}/mosquitto.log`,
        '--log-count',
        'broker starts=mosquitto version \\S+ starting',
      ],
      ...['--only', 'multi-device-cursors,offline-kill-9,crashed-device-offline,retransmit-after-lost-ack'],
      ...['--expect-failures', EXPECTED, '--readings', 'docs/certifications/readings.yaml'],
      ...['--draft-expectations', draft, '--seed', '7', '--out', out, '--report', `json=${json}`],
      ...['--report', `html=${join(out, 'run.html')}`],
    ];
    const run = await imspec(args, { target: MOSQUITTO, dataDir, secret: 'certify-cli' }, 120_000);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`imspec certify: wrote ${out}/mosquitto-2.0.md`);

    const doc = readFileSync(join(out, 'mosquitto-2.0.md'), 'utf8');
    expect(doc).toContain('# Certification: Mosquitto 2.0 (Debian test-version)');
    expect(doc).toContain(`--target-cmd 'exec scripts/targets/mosquitto.sh ${port} ${dataDir}'`);
    expect(doc).toContain('--expect-failures suites/expected/mosquitto-2.0.json');
    expect(doc).toContain(`listener ${port} 127.0.0.1`);
    expect(doc).toMatch(
      /\| \[offline-kill-9\]\(#offline-kill-9\) \| servers \| MUST \| XFAIL \| DUR-1 lost ×20 \|/,
    );
    expect(doc).toContain('Target: exited 1× (all by the kit), restarted 1×.');
    // A reading from the readings file, under its case.
    expect(doc).toContain('`persistence true` writes a\nsnapshot on shutdown');
    expect(doc).toContain('| broker starts | 2 |');
    expect(doc).toContain('offline-queue-overflow, offline-graceful-restart');

    // The draft keeps the file's reasons for what still deviates and the entries not run.
    const entries = JSON.parse(readFileSync(draft, 'utf8')) as { id: string; reason: string }[];
    const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as { id: string; reason: string }[];
    expect(entries.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(entries.find((e) => e.id === 'offline-kill-9')?.reason).toBe(
      expected.find((e) => e.id === 'offline-kill-9')?.reason,
    );
    // The HTML report of the run names the certify command that made it.
    expect(readFileSync(join(out, 'run.html'), 'utf8')).toContain('imspec certify --name');
    const report = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(report.cases.find((c) => c.id === 'offline-kill-9')?.target).toMatchObject({
      kills: 1,
      restarts: 1,
    });
  }, 150_000);

  it('drafts UNREVIEWED entries from the findings when there is no file yet', async () => {
    const port = await freePort();
    const dataDir = tempDir('imspec-certify-data-');
    const out = tempDir('imspec-certify-out-');
    const draft = join(out, 'draft.json');
    const args = [
      'certify',
      ...['--name', 'Mosquitto 2.0', '--driver', 'mqtt', '--target', `mqtt://127.0.0.1:${port}`],
      ...['--target-cmd', `exec scripts/targets/mosquitto.sh ${port} ${dataDir}`],
      ...[
        '--only',
        'multi-device-cursors,crashed-device-offline',
        '--draft-expectations',
        draft,
        '--out',
        out,
      ],
    ];
    const run = await imspec(args, { target: MOSQUITTO, dataDir, secret: 'certify-cli' }, 120_000);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('rewrite every UNREVIEWED reason');
    expect(JSON.parse(readFileSync(draft, 'utf8'))).toEqual([
      {
        id: 'multi-device-cursors',
        reason: 'UNREVIEWED: MDEV-1: expected hello:A pending = 10; actual bob/tablet: pending = 0',
        findings: ['MDEV-1'],
      },
    ]);
    expect(readFileSync(join(out, 'mosquitto-2.0.md'), 'utf8')).toContain('No reading yet');
  }, 150_000);

  it('applies a file to whatever suites are selected: others are listed as not run, replays carry the file', async () => {
    const run = await certifyRun(MOSQUITTO, EXPECTED, ['offline-kill-9', 'crashed-device-offline'], 90_000, [
      'suites/servers',
    ]);
    expect(run.verdicts, run.output).toEqual({ 'offline-kill-9': 'XFAIL', 'crashed-device-offline': 'PASS' });
    expect(run.report.notRunExemptions).toEqual(
      expect.arrayContaining(['multi-device-cursors', 'kill-after-accept', 'offline-queue-overflow']),
    );
    expect(run.output).toMatch(
      /expected failures not run \(their cases were not selected\): .*multi-device-cursors/,
    );
    expect(run.report.cases.find((c) => c.id === 'offline-kill-9')?.replay).toContain(
      '--expect-failures suites/expected/mosquitto-2.0.json',
    );
    expect(run.code).toBe(0);
  }, 120_000);
});
