import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/report/coverage.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/imspec.js');

/** Runs the built CLI (npm test builds first) and returns its exit code and output. */
async function imspec(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('imspec coverage', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-coverage-'));
    mkdirSync(join(dir, 'suites', 'core'), { recursive: true });
    writeFileSync(
      join(dir, 'suites', 'core', 'ping.yaml'),
      'id: ping-answered\ntitle: ping is answered\ncovers: [PING-1, RID-1]\nusers: {alice: [phone]}\nsteps: [connect: alice]\n',
    );
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'bad.yaml'), 'id: bad\ntitle: t\ncovers: [RID-1]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints covered suites and uncovered MUST ids from suites/ by default, exit 0', async () => {
    const { code, stdout } = await imspec(['coverage'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^requirement coverage: 2\/\d+ ids covered/);
    expect(stdout).toContain('suite core: 1 case, 2 ids\n  RID-1 PING-1\n');
    expect(stdout).toMatch(/\n {2}! DEDUP-1 /);
    expect(stdout).not.toContain('\x1b');
  });

  it("reads the kit's own suites when the directory has none, and a named path only as named", async () => {
    const empty = mkdtempSync(join(tmpdir(), 'imspec-coverage-empty-'));
    try {
      const shipped = await imspec(['coverage', '--json'], empty);
      expect(shipped.code).toBe(0);
      const report = JSON.parse(shipped.stdout) as CoverageReport;
      // The shipped suites: core and more, not the one-case suite of the directory above.
      expect(report.covered).toBeGreaterThan(40);
      const named = await imspec(['coverage', 'suites'], empty);
      expect(named.code).toBe(2);
      expect(named.stderr).toContain('suites: cannot read suites');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await imspec(['coverage', 'suites/core', '--json'], dir);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as CoverageReport;
    expect(report.covered).toBe(2);
    expect(report.requirements.find((r) => r.id === 'PING-1')?.cases).toEqual(['ping-answered']);
  });

  it('exits 1 with --strict when a MUST id is uncovered, and 2 on an invalid scenario', async () => {
    expect((await imspec(['coverage', '--strict'], dir)).code).toBe(1);
    const broken = await imspec(['coverage', 'broken'], dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('bad.yaml');
  });
});
