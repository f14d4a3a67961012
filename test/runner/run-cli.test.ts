import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import reportSchema from '../../schemas/report.schema.json' with { type: 'json' };
import type { RunResult } from '../../src/report/types.js';
import { startPushgateway } from '../helpers/prometheus.js';

// These run the built CLI (npm test builds first), as a user would.
const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-run-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imspec(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function validReport(path: string): RunResult {
  const report = JSON.parse(readFileSync(path, 'utf8')) as RunResult;
  const ajv = new Ajv2020({ strict: false });
  ajv.addFormat('date-time', true);
  const validate = ajv.compile(reportSchema);
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  return report;
}

describe('imspec run', () => {
  it('exits 0 when the cases pass, and writes a JSON report that matches its schema', () => {
    const json = join(dir, 'pass.json');
    const r = imspec(
      'run',
      'suites/core',
      '--only',
      'happy-six-frames,ack-rules',
      '--report',
      'console',
      '--report',
      `json=${json}`,
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/PASS\s+ack-rules/);
    expect(r.out).toMatch(/2 passed/);
    const report = validReport(json);
    expect(report.cases.map((c) => [c.id, c.verdict])).toEqual([
      ['ack-rules', 'PASS'],
      ['happy-six-frames', 'PASS'],
    ]);
    expect(report.exitCode).toBe(0);
  });

  it('exits 1 on a broken server, naming the requirement, expected and actual, and the replay command', () => {
    const json = join(dir, 'fail.json');
    const r = imspec(
      'run',
      'suites/core',
      '--only',
      'auth',
      '--server-fault',
      'no-auth',
      '--seed',
      '7',
      '--report',
      `json=${json}`,
      '--report',
      'console',
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/FAIL\s+auth/);
    expect(r.out).toContain('AUTH-2');
    expect(r.out).toMatch(/expected: +error:A code="auth-failed"/);
    // The wrong login's answer is judged at once: the hello:A it got, not a silence waited out.
    expect(r.out).toMatch(/actual: +\S+: type hello:A/);
    expect(r.out).not.toContain('no answer in');
    expect(r.out).toContain('--server-fault no-auth');
    const report = validReport(json);
    const [result] = report.cases;
    expect(result?.verdict).toBe('FAIL');
    expect(result?.findings.some((f) => f.requirement === 'AUTH-2' && f.evidence.length > 0)).toBe(true);
    expect(result?.replay).toContain('--seed 7');
  });

  it('turns a known failure into XFAIL with --expect-failures, and fails on a stale exemption', () => {
    const known = join(dir, 'known.yaml');
    writeFileSync(known, '- id: happy-six-frames\n  reason: receipts not implemented yet\n');
    const xfail = imspec(
      'run',
      '--only',
      'happy-six-frames',
      '--server-fault',
      'no-delivered-receipt',
      '--expect-failures',
      known,
    );
    expect(xfail.code, xfail.out + xfail.err).toBe(0);
    expect(xfail.out).toContain('XFAIL');
    const stale = imspec('run', '--only', 'happy-six-frames', '--expect-failures', known);
    expect(stale.code, stale.out + stale.err).toBe(1);
    expect(stale.out + stale.err).toMatch(/stale/i);
  });

  it('exits 2 with a clear message on usage and configuration errors', () => {
    const unknown = imspec('run', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown option '--bogus'/);
    const nothing = imspec('run', 'suites/core', '--only', 'no-such-case');
    expect(nothing.code).toBe(2);
    expect(nothing.err).toMatch(/--only no-such-case matches no case/);
    const badSeed = imspec('run', '--seed', 'abc');
    expect(badSeed.code).toBe(2);
    expect(badSeed.err).toMatch(/--seed must be a decimal integer/);
  });

  it('refuses a --pushgateway that is not an http(s) URL before any case runs', () => {
    for (const url of ['notaurl', 'ftp://127.0.0.1:9091']) {
      const r = imspec('run', '--only', 'happy-six-frames', '--pushgateway', url);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/--pushgateway ".*" (is not a URL|must be an http\(s\) URL)/);
      expect(r.out).toBe('');
    }
  });

  it('keeps the verdict exit code 1 when the push fails too, and prints the push error', () => {
    const r = imspec(
      'run',
      '--only',
      'dedup-*',
      '--server-fault',
      'no-dedup',
      '--no-minimize',
      '-q',
      '--pushgateway',
      'http://127.0.0.1:1',
    );
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(
      /imspec run: pushgateway PUT .* failed: .*\[IMSPEC_ERR_METRICS_EXPORT\] \(exit 1: the verdict's\)/,
    );
  });

  it.each([
    [['--only', ''], /--only "" names no id/],
    [['--only', ' , '], /--only " , " names no id/],
    [['--repeat', '0'], /--repeat must be a positive integer, got "0"/],
    [['--seed', '0x10'], /--seed must be a decimal integer from 0 to 4294967295, got "0x10"/],
    [['--seed', '1e3'], /--seed must be a decimal integer/],
    [['--case-seed', '0x10'], /--case-seed must be a decimal integer/],
    [['--hmac-secret', ''], /--hmac-secret is empty/],
    [['--timeout', '0'], /--timeout must be longer than 0/],
  ])('%j is one usage error naming the flag, before any case', (args, message) => {
    const r = imspec('run', ...args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('says the exit code of a --target-cmd that exited before the target listened', () => {
    const r = imspec(
      'run',
      '--only',
      'happy-six-frames',
      '--target',
      'ws://127.0.0.1:9',
      '--target-cmd',
      'exit 3',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /target command exited with code 3 before ws:\/\/127\.0\.0\.1:9 accepted connections/,
    );
  });

  it('-q prints no console summary, with or without --report', () => {
    const quiet = imspec('run', '--only', 'happy-six-frames', '-q');
    expect([quiet.code, quiet.out]).toEqual([0, '']);
    const json = join(dir, 'quiet.json');
    const named = imspec(
      'run',
      '--only',
      'happy-six-frames',
      '--quiet',
      '--report',
      'console',
      '--report',
      `json=${json}`,
    );
    expect([named.code, named.out]).toEqual([0, '']);
    expect(validReport(json).cases.map((c) => c.verdict)).toEqual(['PASS']);
  });
});

describe('imspec run --pushgateway', () => {
  it('pushes the final metrics of the run, grouped by run id, to a real Pushgateway', async () => {
    const gateway = await startPushgateway();
    try {
      const json = join(dir, 'pushed.json');
      const r = imspec(
        'run',
        '--only',
        'lost-msg-a',
        '--pushgateway',
        gateway.url,
        '--report',
        `json=${json}`,
      );
      expect(r.code, r.out + r.err).toBe(0);
      const { runId } = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
      expect(r.err).toContain(`run_id/${runId}`);
      const body = await (await fetch(`${gateway.url}/metrics`)).text();
      // The case retransmitted once (its msg:A was lost): the pushed counter says so.
      const line = body
        .split('\n')
        .find(
          (l) =>
            l.startsWith('imspec_retransmits_total{') &&
            l.includes(`run_id="${runId}"`) &&
            l.includes('reason="timeout"'),
        );
      expect(line, body.slice(0, 2000)).toBeDefined();
      expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
    }
  });
});
