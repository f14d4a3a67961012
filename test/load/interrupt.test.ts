import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/load/result.js';
import { assertBuilt, CLI } from '../server/spawn.js';

// Ctrl-C on a real `imspec load`, as k6 users expect: the first one stops the sends, drains what
// was sent, judges it and writes the reports marked interrupted (exit 130, never a PASS); during
// the logins there is nothing to report yet, so it ends at once. Either way the embedded server
// and its temp files are gone (each run has its own TMPDIR to look under).

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function leftovers(tmp: string): { processes: number; files: string[] } {
  let processes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(tmp)) processes++;
    } catch {
      // gone meanwhile
    }
  }
  return { processes, files: readdirSync(tmp) };
}

async function interruptedLoad(profile: string, when: RegExp) {
  assertBuilt();
  const root = mkdtempSync(join(tmpdir(), 'imspec-load-interrupt-'));
  roots.push(root);
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const out = join(root, 'load.json');
  const child = spawn(process.execPath, [CLI, 'load', profile, '--seed', '3', '--out', out], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when.test(stderr)) resolve();
    });
    void exited.then(() => reject(new Error(`exited before ${when}: ${stderr}`)));
  });
  child.kill('SIGINT');
  const code = await exited;
  return { code, stdout, stderr, out, tmp };
}

describe('imspec load stopped by Ctrl-C', () => {
  it('mid-run: stops sending, drains, judges what ran and says so (exit 130)', async () => {
    // 30 s of schedule; the first progress line comes after five of them.
    const r = await interruptedLoad('test/load/profiles/interruptible.yaml', /^\d+\/30 s ·/m);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping/);
    expect(r.stdout).toMatch(/interrupted at [\d.]+ s by SIGINT/);
    expect(r.stdout).toMatch(/^INTERRUPTED: \d+ of \d+ thresholds held/m);
    const result = JSON.parse(readFileSync(r.out, 'utf8')) as LoadResult;
    expect(result.interrupted?.signal).toBe('SIGINT');
    expect(result.exitCode).toBe(1);
    // Sends stopped early, and what was sent was judged to the end.
    expect(result.schedule.offered).toBeGreaterThan(0);
    expect(result.schedule.offered).toBeLessThan(30 * 100);
    expect(result.counters.delivered).toBe(result.counters.sent);
    expect(leftovers(r.tmp)).toEqual({ processes: 0, files: [] });
  });

  it('while the bots log in: ends at once with nothing to report', async () => {
    const r = await interruptedLoad('test/load/profiles/slow-logins.yaml', /imspec load: connecting: /);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).not.toMatch(/thresholds/);
    expect(leftovers(r.tmp)).toEqual({ processes: 0, files: [] });
  });
});
