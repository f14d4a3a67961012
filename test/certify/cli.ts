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
import { freePort } from '../helpers/mosquitto.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** The suites a certification loads; expected-failures files name cases of all three. */
export const CERTIFICATION_PATHS = ['suites/core', 'suites/servers', 'suites/faults'];

export interface CertifyTarget {
  driver: 'mqtt' | 'xmpp';
  script: string;
  url: (port: number) => string;
  pidFile: string;
}

export const MOSQUITTO: CertifyTarget = {
  driver: 'mqtt',
  script: 'scripts/targets/mosquitto.sh',
  url: (port) => `mqtt://127.0.0.1:${port}`,
  pidFile: 'mosquitto.pid',
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

/** `imspec run` of `only` against a fresh server of `target`, judged by `expectFailures`. */
export async function certifyRun(
  target: CertifyTarget,
  expectFailures: string,
  only: readonly string[],
  timeoutMs = 90_000,
): Promise<CliRun> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'imspec-certify-data-'));
  const reportDir = mkdtempSync(join(tmpdir(), 'imspec-certify-report-'));
  dirs.push(dataDir, reportDir);
  const reportFile = join(reportDir, 'run.json');
  const args = [
    'bin/imspec.js',
    'run',
    ...CERTIFICATION_PATHS,
    '--driver',
    target.driver,
    '--target',
    target.url(port),
    '--target-cmd',
    `exec ${target.script} ${port} ${dataDir}`,
    '--expect-failures',
    expectFailures,
    '--only',
    only.join(','),
    '--report',
    'console',
    '--report',
    `json=${reportFile}`,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // Credentials come from the environment, never from a file (docs/drivers.md).
    env: { ...process.env, IMSPEC_HMAC_SECRET: `certify-test-${port}` },
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
  stopLeftover(dataDir, target.pidFile);
  if (!existsSync(reportFile)) throw new Error(`imspec run wrote no report (exit ${code}):\n${output}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunResult;
  const verdicts = Object.fromEntries(report.cases.map((c) => [c.id, c.verdict]));
  return { code, output, report, verdicts };
}

/** SIGKILL the server whose pid file is in `dir`, if it still runs from there. */
function stopLeftover(dir: string, pidFile: string): void {
  const file = join(dir, pidFile);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    // Only a process started on this dir: a pid may have been reused since.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) return;
    process.kill(pid, 'SIGKILL');
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
  const dir = mkdtempSync(join(tmpdir(), 'imspec-certify-expected-'));
  dirs.push(dir);
  const file = join(dir, 'expected.yaml');
  writeFileSync(file, stringify(entries));
  return file;
}
