/**
 * What the server did, told as the server's finding with its evidence, through the built CLI
 * against real processes the kit launches (`--target-cmd`):
 * - a server that dies during a case is FAIL (FRAME-8) with its bounce counts and log tail, and
 *   the next case finds it started again;
 * - accounts come from a `--provision-cmd` hook (prosodyctl) before the timeline, and a hook that
 *   fails for the preflight's first account ends the run with exit 2, with the hook's output;
 * - an account the server loses in a kill -9 is a durability finding (DUR-1), not an ERROR about
 *   credentials (Prosody started by a launch script that forgets its accounts at every start);
 * - a start that takes longer than `--start-timeout` is an ERROR that names the timeout.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/types.js';
import { freePort } from '../helpers/ports.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/imspec.js');
const dir = mkdtempSync(join(tmpdir(), 'imspec-target-trouble-'));
const pidFiles: string[] = [];
const serverDirs: string[] = [];
afterAll(() => {
  for (const pidFile of pidFiles) stopByPidFile(pidFile);
  for (const d of [dir, ...serverDirs]) rmSync(d, { recursive: true, force: true });
});

/** A data dir of its own: the launch script hands it to the server's user, which cannot enter `dir`. */
function serverDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'imspec-prosody-data-'));
  serverDirs.push(d);
  pidFiles.push(join(d, 'prosody.pid'));
  return d;
}

async function imspec(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; report: RunResult | undefined }> {
  const json = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(
    process.execPath,
    [cli, 'run', ...args, '--report', 'console', '--report', `json=${json}`],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A run refused before any case (exit 2) writes no report.
  const report = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as RunResult) : undefined;
  return { code, out, report };
}

function stopByPidFile(file: string): void {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
  } catch {
    // Not started, or gone.
  }
}

/** happy-six-frames against the ws target at `port` that `targetCmd` starts. */
function happyCase(port: number, targetCmd: string, extra: string[]) {
  return imspec([
    'suites/core',
    '--only',
    'happy-six-frames',
    '--target',
    `ws://127.0.0.1:${port}`,
    '--target-cmd',
    targetCmd,
    ...extra,
  ]);
}

describe('a target the kit launched that misbehaves', () => {
  it('reports a server that dies during a case as FAIL FRAME-8 with bounce counts and log tail, and restarts it for the next case', async () => {
    const port = await freePort();
    const data = join(dir, 'crash');
    mkdirSync(data);
    const suite = join(dir, 'crash-suite');
    mkdirSync(suite);
    // The first case outlives the server: its launch script kills it 2 s after the first start.
    writeFileSync(
      join(suite, 'a-long.yaml'),
      `id: a-long
title: Two batches with a pause between them
covers: [MSG-1]
severity: MUST
users: { alice: phone, bob: phone }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 2 }
  - wait: 5s
  - send: { from: alice, to: bob, count: 2 }
  - waitFor: { condition: settled, timeout: 3s }
`,
    );
    writeFileSync(
      join(suite, 'b-short.yaml'),
      `id: b-short
title: One message
covers: [MSG-1]
severity: MUST
users: { alice: phone, bob: phone }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 1 }
  - waitFor: { condition: settled, timeout: 5s }
`,
    );
    const launch = [
      `if [ ! -e ${data}/crashed ]; then touch ${data}/crashed;`,
      `(sleep 2; echo "launch script: kill -9 of the server on purpose" >&2; kill -9 $$) & fi;`,
      `exec ${process.execPath} ${cli} serve --port ${port} --db ${data}/imspec.db --hmac-secret s3cret`,
    ].join(' ');
    const run = await imspec([
      suite,
      '--target',
      `ws://127.0.0.1:${port}`,
      '--target-cmd',
      launch,
      '--hmac-secret',
      's3cret',
      '--seed',
      '1',
    ]);
    const [long, short] = run.report?.cases ?? [];
    expect(long?.verdict, run.out).toBe('FAIL');
    expect(long?.findings.map((f) => f.requirement)).toContain('FRAME-8');
    expect(long?.findings.find((f) => f.requirement === 'FRAME-8')?.actual).toMatch(/signal SIGKILL/);
    expect(long?.target).toMatchObject({ kills: 0, crashes: 1, restarts: 0, restartedBeforeCase: false });
    expect(long?.target?.logTail?.join('\n')).toContain('launch script: kill -9 of the server on purpose');
    expect(run.out).toContain('target: exited 1× (1 crash), restarted 0×');
    expect(short?.verdict, run.out).toBe('PASS');
    expect(short?.target).toBeUndefined();
    expect(run.code).toBe(1);
  }, 60_000);

  it('exits 2 naming the timeout when the target is not ready within --start-timeout, and leaves nothing running', async () => {
    const port = await freePort();
    const run = await happyCase(port, 'echo starting slowly >&2; exec sleep 30', ['--start-timeout', '1s']);
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/did not accept connections within 1000 ms/);
    expect(run.out).toContain('starting slowly');
  }, 20_000);

  it('exits 2 before any case when something already holds the --target port: the command would race it', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      const serve = `exec node bin/imspec.js serve --port ${port} --db ${join(dir, 'taken.db')} --hmac-secret s`;
      const run = await happyCase(port, serve, ['--hmac-secret', 's']);
      expect(run.code, run.out).toBe(2);
      expect(run.out).toMatch(
        /something already accepts connections at ws:\/\/127\.0\.0\.1:\d+ before --target-cmd started/,
      );
      expect(run.report).toBeUndefined();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  }, 30_000);
});

describe('accounts on Prosody (xmpp driver)', () => {
  /** `imspec run` of one case against a Prosody the kit starts with `launch` (default: the launch script). */
  async function onProsody(
    caseId: string,
    options: {
      query?: string;
      provisionCmd?: (data: string) => string;
      launch?: (port: number, data: string) => string;
    },
  ) {
    const port = await freePort();
    const data = serverDir();
    const launch = options.launch?.(port, data) ?? `exec scripts/targets/prosody.sh ${port} ${data}`;
    const suite = caseId === 'offline-kill-9' ? 'suites/servers' : 'suites/core';
    const args = [suite, '--only', caseId, '--driver', 'xmpp'];
    args.push(
      '--target',
      `xmpp://127.0.0.1:${port}?domain=localhost${options.query ?? ''}`,
      '--target-cmd',
      launch,
    );
    if (options.provisionCmd) args.push('--provision-cmd', options.provisionCmd(data));
    return imspec(args, { IMSPEC_HMAC_SECRET: 'provision-test' });
  }

  it('creates every account with --provision-cmd before the timeline (prosodyctl), and the case passes', async () => {
    const run = await onProsody('offline-kill-9', {
      provisionCmd: (data) =>
        `prosodyctl --config ${data}/prosody.cfg.lua register "$IMSPEC_USER" localhost "$IMSPEC_PASSWORD"`,
    });
    expect(run.report?.cases[0]?.verdict, run.out).toBe('PASS');
    expect(run.code).toBe(0);
  }, 90_000);

  it('refuses a --provision-cmd that cannot create the first account before any case (exit 2), with the hook output', async () => {
    const run = await onProsody('offline-kill-9', {
      provisionCmd: () => 'echo "admin API says: quota of accounts reached" >&2; exit 1',
    });
    // A hook that fails for the preflight's account is configuration: said once, no case run.
    expect(run.code, run.out).toBe(2);
    expect(run.report).toBeUndefined();
    expect(run.out).toMatch(/could not create the probe account \S+imspec-preflight/);
    expect(run.out).toMatch(
      /--provision-cmd for \S+imspec-preflight exited with code 1:\nadmin API says: quota of accounts reached/,
    );
    expect(run.out).toContain('[IMSPEC_ERR_CONFIG]');
  }, 90_000);

  it('reports an account lost in a kill -9 as DUR-1, not as a credentials ERROR', async () => {
    const run = await onProsody('offline-kill-9', {
      query: '&register=1',
      // A server that loses accounts it had not flushed, made certain: every start forgets them.
      launch: (port, data) =>
        `rm -rf ${data}/data/localhost/accounts; exec scripts/targets/prosody.sh ${port} ${data}`,
    });
    const c = run.report?.cases[0];
    expect(c?.verdict, run.out).toBe('FAIL');
    const lost = c?.findings.find((f) => f.requirement === 'DUR-1' && f.kind === 'assertion');
    expect(lost?.actual, run.out).toMatch(/login refused after the restart \(the server lost the account\)/);
    expect(lost?.expected).toMatch(/had (logged in|created) before it was stopped/);
    expect(c?.target).toMatchObject({ kills: 1, crashes: 0, restarts: 1 });
    expect(run.code).toBe(1);
  }, 120_000);
});
