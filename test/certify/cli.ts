/**
 * Runs a certification the way a person or CI does: the built CLI (`node bin/imspec.js run`) with
 * a launch script from scripts/targets as `--target-cmd`, the server's expected-failures file and
 * a JSON report, and reads the exit code and the report back. The CLI starts and stops the server
 * itself; if the CLI is killed first, `cleanup()` stops the server left behind by the pid file the
 * launch script has it write, and deletes the dirs.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { RunResult, Verdict } from '../../src/report/types.js';
import { freePort } from '../helpers/ports.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** The suites a certification loads; expected-failures files name cases of all three. */
export const CERTIFICATION_PATHS = ['suites/core', 'suites/servers', 'suites/faults'];

export interface CertifyTarget {
  driver: 'mqtt' | 'xmpp';
  script: string;
  url: (port: number) => string;
  pidFile: string;
  /** `--start-timeout`, when the default (15 s) is too short for the server. */
  startTimeout?: string;
}

export const MOSQUITTO: CertifyTarget = {
  driver: 'mqtt',
  script: 'scripts/targets/mosquitto.sh',
  url: (port) => `mqtt://127.0.0.1:${port}`,
  pidFile: 'mosquitto.pid',
};

export const RABBITMQ: CertifyTarget = {
  driver: 'mqtt',
  script: 'scripts/targets/rabbitmq.sh',
  url: (port) => `mqtt://127.0.0.1:${port}?version=3.1.1&anonymous=1`,
  pidFile: 'rabbitmq.pid',
  // An Erlang node takes 13 s to start on an idle machine here, up to 50 s on a loaded one.
  startTimeout: '2m',
};

export const PROSODY: CertifyTarget = {
  driver: 'xmpp',
  script: 'scripts/targets/prosody.sh',
  url: (port) => `xmpp://127.0.0.1:${port}?domain=localhost&register=1`,
  pidFile: 'prosody.pid',
};

export interface CliRun {
  code: number | null;
  output: string;
  report: RunResult;
  verdicts: Record<string, Verdict>;
}

const dirs: string[] = [];

/** A fresh temp dir, deleted by cleanup (a data dir the launch script hands to the server's user). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/**
 * The built CLI with `args`, as a person runs it, with credentials in the environment (never in a
 * file, docs/drivers.md). Stops the server left in `dataDir` afterwards, should the CLI not have.
 */
export async function imspec(
  args: readonly string[],
  server: { target: CertifyTarget; dataDir: string; secret: string },
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/imspec.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, IMSPEC_HMAC_SECRET: server.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  stopLeftover(server.dataDir, server.target.pidFile);
  return { code, output };
}

/** `imspec run` of `only` against a fresh server of `target`, judged by `expectFailures`. */
export async function certifyRun(
  target: CertifyTarget,
  expectFailures: string,
  only: readonly string[],
  timeoutMs = 90_000,
  paths: readonly string[] = CERTIFICATION_PATHS,
): Promise<CliRun> {
  const port = await freePort();
  const dataDir = tempDir('imspec-certify-data-');
  const reportFile = join(tempDir('imspec-certify-report-'), 'run.json');
  const args = [
    'run',
    ...paths,
    '--driver',
    target.driver,
    '--target',
    target.url(port),
    '--target-cmd',
    `exec ${target.script} ${port} ${dataDir}`,
    ...(target.startTimeout ? ['--start-timeout', target.startTimeout] : []),
    '--expect-failures',
    expectFailures,
    '--only',
    only.join(','),
    '--report',
    'console',
    '--report',
    `json=${reportFile}`,
  ];
  const { code, output } = await imspec(args, { target, dataDir, secret: `certify-test-${port}` }, timeoutMs);
  if (!existsSync(reportFile)) throw new Error(`imspec run wrote no report (exit ${code}):\n${output}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunResult;
  const verdicts = Object.fromEntries(report.cases.map((c) => [c.id, c.verdict]));
  return { code, output, report, verdicts };
}

/**
 * SIGKILL the server whose pid file is in `dir`, if it still runs from there, with its process
 * group: what the launch script started beside it (RabbitMQ's epmd and start script) goes too.
 */
function stopLeftover(dir: string, pidFile: string): void {
  const file = join(dir, pidFile);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    // Only a process started on this dir (in its arguments, or its environment for RabbitMQ):
    // a pid may have been reused since.
    const started = ['cmdline', 'environ'].some((f) =>
      readFileSync(`/proc/${pid}/${f}`, 'utf8').includes(dir),
    );
    if (!started) return;
    // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so read after ")".
    const pgrp = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);
    process.kill(pgrp > 1 ? -pgrp : pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Deletes every dir the runs made (after stopping what may still run from them). */
export function cleanup(target: CertifyTarget): void {
  for (const dir of dirs.splice(0)) {
    stopLeftover(dir, target.pidFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An expected-failures entry (docs/reports.md). */
export interface Exemption {
  id: string;
  reason: string;
  verdict?: 'FAIL' | 'WARN';
  findings?: string[];
}

/** The entries of a server's expected-failures file, to derive deliberately wrong ones from. */
export function readExpected(file: string): Exemption[] {
  return parse(readFileSync(join(ROOT, file), 'utf8')) as Exemption[];
}

/** Writes entries to a temp file (deleted by cleanup) and returns its path. */
export function writeExpected(entries: readonly Exemption[]): string {
  const dir = tempDir('imspec-certify-expected-');
  const file = join(dir, 'expected.yaml');
  writeFileSync(file, stringify(entries));
  return file;
}
