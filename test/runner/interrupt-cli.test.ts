import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/types.js';
import { assertBuilt, CLI } from '../server/spawn.js';

// Ctrl-C and SIGTERM on the real CLI: every server the run started stops, its temp files go, the
// reports so far are written marked interrupted, and the exit code is 128 + the signal's number.
// Each run gets its own TMPDIR, so what it leaves (processes, directories) is found by that path.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Processes whose command line mentions `path` (the embedded servers' --db lives under it). */
function processesUsing(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(path)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * The processes still using `path` once they have had time to die. A SIGKILLed server is not gone
 * the instant the kit exits: the kernel tears it down when it next runs it, which on a loaded
 * machine can be a while, and until then its command line is still readable. One that outlives
 * the wait is a real leftover.
 */
async function survivorsOf(path: string, waitMs = 5_000): Promise<number[]> {
  const deadline = performance.now() + waitMs;
  let pids = processesUsing(path);
  while (pids.length > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    pids = processesUsing(path);
  }
  return pids;
}

async function interruptedRun(signals: NodeJS.Signals[]) {
  assertBuilt();
  const root = mkdtempSync(join(tmpdir(), 'imspec-interrupt-'));
  roots.push(root);
  const tmp = join(root, 'tmp');
  const json = join(root, 'run.json');
  mkdirSync(tmp);
  const child = spawn(
    process.execPath,
    [CLI, 'run', 'suites/core', '--report', 'console', '--report', `json=${json}`],
    { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The first case's verdict line says a case finished and the next one's server is starting.
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/PASS\s+\S+/.test(out)) resolve();
    });
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  // While a case runs, its embedded server exists under our TMPDIR.
  for (const [i, signal] of signals.entries()) {
    if (i > 0) {
      // The second signal follows the first's "stopping" line, as a user's second Ctrl-C would.
      await new Promise<void>((resolve) => {
        const check = () => (/stopping/.test(err) ? resolve() : setTimeout(check, 5));
        check();
      });
    }
    child.kill(signal);
  }
  const code = await exited;
  return { code, out, err, json, tmp };
}

describe('imspec run stopped by a signal', () => {
  it('on Ctrl-C stops its servers, removes their temp files, writes the reports so far and exits 130', async () => {
    const r = await interruptedRun(['SIGINT']);
    expect(r.code, r.err).toBe(130);
    expect(r.out).toMatch(/interrupted by SIGINT after \d+ of \d+ cases/);
    const report = JSON.parse(readFileSync(r.json, 'utf8')) as RunResult;
    expect(report.interrupted?.signal).toBe('SIGINT');
    expect(report.interrupted?.completed).toBe(report.cases.length);
    expect(report.cases.length).toBeGreaterThanOrEqual(1);
    expect(await survivorsOf(r.tmp)).toEqual([]);
    expect(readdirSync(r.tmp)).toEqual([]);
  }, 90_000);

  it('on SIGTERM does the same and exits 143', async () => {
    const r = await interruptedRun(['SIGTERM']);
    expect(r.code, r.err).toBe(143);
    expect(existsSync(r.json)).toBe(true);
    expect(await survivorsOf(r.tmp)).toEqual([]);
    expect(readdirSync(r.tmp)).toEqual([]);
  }, 90_000);

  it('exits at once on a second Ctrl-C, still leaving no server or temp file behind', async () => {
    const r = await interruptedRun(['SIGINT', 'SIGINT']);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/SIGINT again: exiting now/);
    expect(await survivorsOf(r.tmp)).toEqual([]);
    expect(readdirSync(r.tmp)).toEqual([]);
  }, 90_000);
});
