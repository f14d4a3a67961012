/**
 * `imspec explore` through the built CLI, as a user runs it, with no case file: against the
 * embedded server with a deliberate defect that no core case catches it finds the defect, writes
 * a small scenario, and that scenario fails under `imspec run` with the printed replay command;
 * against the healthy server a short budget finds nothing (exit 0); bad input exits 2.
 *
 * Bounded: small cases and a small shrink budget (the config below), so the whole file takes
 * well under a minute on a shared machine. docs/explore.md has the full-budget measurements.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-explore-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imspec(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const config = join(dir, 'explore.yaml');
writeFileSync(
  config,
  `# Short cases and a short shrink keep the test bounded.
operations: { min: 2, max: 5 }
offline: { min: 200ms, max: 800ms }
ackDelay: { min: 100ms, max: 800ms }
shrink: { maxRuns: 6, maxTime: 8s }
# A shrink cut that cannot settle (a reinstalled device is never owed its backlog) waits out its
# case; a short case keeps such a cut from eating the test's time.
caseTimeout: 12s
`,
);

describe('imspec explore', () => {
  // A seed per fault whose first cases draw its shape (docs/explore.md has longer budgets):
  // ack-wrong-device needs the olderDevice shape — a user's older device acks while a sibling
  // that logged in later is online, then reconnects trusting the server's cursor.
  it.each([
    ['bmp-only', '1'],
    ['dedup-by-cmid', '1'],
    ['ack-wrong-device', '10'],
  ])(
    'finds --server-fault %s (seed %s) without a case file and writes a scenario that imspec run fails',
    (fault, seed) => {
      const out = join(dir, fault);
      const r = imspec(
        'explore',
        '--budget',
        '15s',
        '--seed',
        seed,
        '--config',
        config,
        '--out',
        out,
        '--server-fault',
        fault,
        '--report',
        `html=${join(out, 'report.html')}`,
      );
      expect(r.code, r.err).toBe(1);
      // The HTML report of the shrunk scenario's last replay: the failing case, its replay command.
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).toContain('"verdict":"FAIL"');
      expect(html).toContain(`imspec run ${join(out, `explore-${seed}-`)}`);
      // The rule each fault breaks first: bmp-only SEQ-3; dedup-by-cmid MSG-2, or the message it
      // never stored as lost (PUSH-1 online, OFF-1 offline; docs/server.md); ack-wrong-device
      // ACK-4 or MDEV-1.
      expect(r.out).toMatch(
        new RegExp(
          `^Finding after [\\d.]+ s \\(case \\d+ of seed ${seed}\\): FAIL (SEQ-3|MSG-2|PUSH-1|OFF-1|ACK-4|MDEV-1)`,
          'm',
        ),
      );
      // Deterministic defects: the shrunk scenario failed every confirming replay.
      expect(r.out).toMatch(/^Reproduced: 2 of 2 replays$/m);
      const replay = new RegExp(`^Replay: imspec run (\\S+) --seed ${seed} --server-fault (\\S+)$`, 'm').exec(
        r.out,
      );
      expect(replay, r.out).not.toBeNull();
      expect(replay![2]).toBe(fault);
      const file = replay![1]!;
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8')).toContain(`# Replay: imspec run ${file}`);
      const run = imspec('run', file, '--seed', seed, '--server-fault', fault);
      expect(run.code, run.out).toBe(1);
      expect(run.out).toMatch(new RegExp(`FAIL\\s+explore-${seed}-\\d+`));
      // The same scenario on the healthy server passes: the defect, not the workload, fails it.
      const healthy = imspec('run', file, '--seed', seed);
      expect(healthy.code, healthy.out).toBe(0);
    },
    90_000,
  );

  it('finds nothing on the healthy reference server within a short budget', () => {
    const r = imspec(
      'explore',
      '--budget',
      '6s',
      '--seed',
      '1',
      '--config',
      config,
      '--out',
      join(dir, 'healthy'),
    );
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/^No finding: \d+ cases in .* seed 1\.$/m);
    expect(r.err).toMatch(/case 0: PASS/);
    expect(existsSync(join(dir, 'healthy'))).toBe(false);
  }, 30_000);

  it('exits 2 on a bad config (file:line:col), and an unknown server fault', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'weights:\n  sned: 2\n');
    const r = imspec('explore', '--config', bad, '--budget', '1s');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:2:3: unknown key "weights.sned"; did you mean "weights.send"?`);
    expect(imspec('explore', '--server-fault', 'no-such', '--budget', '1s').code).toBe(2);
  });

  it('refuses a budget of 0, an empty secret and a hex seed before anything runs', () => {
    for (const [args, message] of [
      [['--budget', '0'], /--budget must be longer than 0/],
      [['--hmac-secret', ''], /--hmac-secret is empty/],
      [['--seed', '0x10'], /--seed must be a decimal integer/],
    ] as const) {
      const r = imspec('explore', ...args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
