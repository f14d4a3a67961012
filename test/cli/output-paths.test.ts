/**
 * Output paths are checked before any work (src/output-paths.ts): every command given a path it
 * cannot write exits 2 at once with one line naming the flag and the path — no run, no lost
 * result. A write that fails at the end anyway is a ConfigError after the verdict was printed.
 * Runs the built CLI (npm test builds first). As root, "cannot write" is a path under a plain file.
 */

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { captureWriter } from '../../src/capture/writer.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';
import { checkOutputDir, checkOutputFile, writeOutputFile } from '../../src/output-paths.js';
import { combineReporters, createReporters } from '../../src/report/reporters.js';
import { sampleRun } from '../report/fixtures.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/imspec.js');

async function imspec(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      // A hang (a recursive mkdir under /proc) must not outlive the test.
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'imspec-outpaths-'));
const file = join(dir, 'afile');
writeFileSync(file, '');
const under = (name: string) => join(file, name);
// A capture that exists (check refuses a missing one first, also with exit 2).
const capture = join(dir, 'capture.jsonl');
writeFileSync(capture, '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOT_DIR = `${file} is not a directory`;
const CERTIFY = ['certify', '--driver', 'ran', '--target', 'ws://127.0.0.1:1', '--target-cmd', 'exit 1'];

/** [command line, the option as the message must name it, why]. */
const CASES: [string[], string, string][] = [
  [
    ['load', 'profiles/steady.yaml', '--duration', '2s', '--out', under('x.json')],
    `--out ${under('x.json')}`,
    NOT_DIR,
  ],
  [['load', 'profiles/steady.yaml', '--duration', '2s', '--out', dir], `--out ${dir}`, 'that is a directory'],
  [
    ['load', 'profiles/steady.yaml', '--duration', '2s', '--report', `junit=${dir}`],
    `--report junit=${dir}`,
    'that is a directory',
  ],
  [
    ['run', 'suites/core', '--only', 'happy-six-frames', '--minimize-dir', under('x')],
    `--minimize-dir ${under('x')}`,
    NOT_DIR,
  ],
  [
    ['run', 'suites/core', '--only', 'happy-six-frames', '--capture', under('sub')],
    `--capture ${under('sub')}`,
    NOT_DIR,
  ],
  // A recursive mkdir under /proc never returns: refused at once.
  [
    ['run', 'suites/core', '--only', 'happy-six-frames', '--capture', '/proc/imspec-x'],
    '--capture /proc/imspec-x',
    'cannot create',
  ],
  [
    ['run', 'suites/core', '--only', 'happy-six-frames', '--report', `json=${under('x.json')}`],
    `--report json=${under('x.json')}`,
    NOT_DIR,
  ],
  [
    ['run', 'suites/core', '--only', 'happy-six-frames', '--report', `junit=${dir}`],
    `--report junit=${dir}`,
    'that is a directory',
  ],
  [['check', capture, '--report', `json=${under('x.json')}`], `--report json=${under('x.json')}`, NOT_DIR],
  [['explore', '--budget', '2s', '--seed', '7', '--out', under('x')], `--out ${under('x')}`, NOT_DIR],
  [
    ['explore', '--budget', '2s', '--seed', '7', '--report', `html=${under('x.html')}`],
    `--report html=${under('x.html')}`,
    NOT_DIR,
  ],
  [[...CERTIFY, '--start-timeout', '1s', '--out', under('x')], `--out ${under('x')}`, NOT_DIR],
  [
    [...CERTIFY, '--start-timeout', '1s', '--draft-expectations', under('x.json')],
    `--draft-expectations ${under('x.json')}`,
    NOT_DIR,
  ],
  [['merge', join(dir, 'none.json'), '--out', under('x.json')], `--out ${under('x.json')}`, NOT_DIR],
  [
    ['merge', join(dir, 'none.json'), '--report', `junit=${dir}`],
    `--report junit=${dir}`,
    'that is a directory',
  ],
];

describe('an output path that cannot be written', () => {
  it.each(CASES)('%j exits 2 at once naming the flag', async (args, option, why) => {
    const { code, stdout, stderr } = await imspec(args);
    expect(stderr).toMatch(
      new RegExp(`^imspec: ${escapeRe(option)}: .*${escapeRe(why)}.* \\[IMSPEC_ERR_USAGE\\]\\n$`),
    );
    expect(code).toBe(2);
    // Nothing ran: no progress, no summary, no target log, no stack trace.
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toHaveLength(2);
  });
});

describe('the default --minimize-dir', () => {
  it('is not checked up front: a run that never minimises works where it cannot be written', async () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'reports'), '');
    const { code, stdout } = await imspec(
      ['run', join(ROOT, 'suites/core'), '--only', 'happy-six-frames'],
      cwd,
    );
    expect(stdout).toContain('1 passed');
    expect(code).toBe(0);
  });
});

describe('checkOutputFile and checkOutputDir', () => {
  it('accept a path whose directories are missing, and leave nothing behind', () => {
    checkOutputFile('--out', join(dir, 'a', 'b', 'r.json'));
    checkOutputDir('--capture', join(dir, 'c', 'd'));
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(existsSync(join(dir, 'c'))).toBe(false);
  });

  it('accept an existing file and directory, and refuse a file where a directory is wanted', () => {
    checkOutputFile('--out', file);
    checkOutputDir('--out', dir);
    expect(() => checkOutputDir('--out', file)).toThrow(
      new UsageError(`--out ${file}: ${file} is not a directory`),
    );
  });
});

describe('a write that fails at the end', () => {
  it('is a ConfigError naming the option', async () => {
    const target = under('late.json');
    await expect(writeOutputFile(`--out ${target}`, target, '{}')).rejects.toThrow(ConfigError);
    await expect(writeOutputFile(`--out ${target}`, target, '{}')).rejects.toThrow(
      `--out ${target}: ${NOT_DIR}`,
    );
  });

  it('comes after the console verdict and the other files', async () => {
    const late = join(dir, 'late');
    mkdirSync(late);
    const text: string[] = [];
    const reporter = combineReporters(
      createReporters(['console', `json=${late}/r.json`, `junit=${dir}/ok.xml`], {
        write: (s) => void text.push(s),
      }),
    );
    // The directory turns into a file during the run.
    rmSync(late, { recursive: true });
    writeFileSync(late, '');
    await expect(reporter.onRunEnd(sampleRun())).rejects.toThrow(
      new ConfigError(`--report json=${late}/r.json: ${late} is not a directory`),
    );
    expect(text.join('')).toMatch(/passed|failed/);
    expect(existsSync(join(dir, 'ok.xml'))).toBe(true);
  });
});

describe('run --capture, when a capture file cannot be written mid-run', () => {
  it('goes on and reports the error naming --capture when the run ends', async () => {
    const caps = join(dir, 'caps');
    const writer = captureWriter(caps);
    // The directory turns into a file before a case starts.
    rmSync(caps, { recursive: true });
    writeFileSync(caps, '');
    writer.onHistory(new History(), { id: 'c1', file: 'c1.yaml' });
    await expect(writer.reporter.onRunEnd?.(sampleRun())).rejects.toThrow(
      new ConfigError(`--capture ${caps}: cannot write ${join(caps, 'c1.jsonl')} (ENOTDIR)`),
    );
  });
});

describe('imspec load, when its report cannot be written at the end', () => {
  it('prints the summary (the verdict) first, then the error naming the flag, exit 2', async () => {
    const late = join(dir, 'load-late');
    const child = spawn(
      process.execPath,
      [BIN, 'load', 'test/load/profiles/tiny.yaml', '--duration', '1s', '--report', `junit=${late}/r.xml`],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The path was checked before the run; now it turns into a file under the report's name.
      if (stderr.includes('connected') && !existsSync(late)) writeFileSync(late, '');
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toContain(
      `imspec: --report junit=${late}/r.xml: ${late} is not a directory [IMSPEC_ERR_CONFIG]`,
    );
    expect(stderr).not.toContain('target log');
    expect(stdout).toMatch(/thresholds held/);
    expect(code).toBe(2);
  }, 60_000);
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
