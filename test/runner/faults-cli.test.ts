/**
 * `imspec run` flags for fault cases, through the built CLI as a user runs it: a FLAKY case prints
 * one replay command per failing seed, `--case-seed` replays one of them, and `--case-seed`
 * without an `--only` that selects one case is a usage error (exit 2).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-faults-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imspec(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const file = join(dir, 'flaky-receipts.yaml');
writeFileSync(
  file,
  `id: flaky-receipts
title: receipts lost at random make the sender retransmit
covers: [DEDUP-2]
requires: [dedup]
users: { alice: phone, bob: phone }
client: { retransmit: 300ms, storedStopsRetransmit: false }
faults:
  - { id: lose-receipt, match: { op: ack, kind: N, user: alice }, probability: 0.1, action: drop }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 6, await: accepted }
  - waitFor: { condition: settled, timeout: 5s }
`,
);

describe('imspec run with fault cases', () => {
  it('prints FLAKY with the pass rate, the injected faults and one replay per failing seed; each replays', () => {
    // Seed 6: of three runs, two lose a receipt (see faults-replay.test.ts).
    const r = imspec(
      'run',
      file,
      '--server-fault',
      'no-dedup',
      '--seed',
      '6',
      '--repeat',
      '3',
      '--no-minimize',
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/FLAKY\s+flaky-receipts/);
    expect(r.out).toContain('1/3 runs passed');
    expect(r.out).toMatch(
      /1 fault injected \(seed \d+\):\n\s+[\d.]+ ms lose-receipt: drop alice\/phone \{"type":"ack:N"/,
    );
    const replays = [
      ...r.out.matchAll(/replay: (imspec run .* --case-seed (\d+) --server-fault no-dedup)$/gm),
    ];
    expect(replays).toHaveLength(2);
    const again = imspec(
      'run',
      file,
      '--only',
      'flaky-receipts',
      '--case-seed',
      replays[1]![2]!,
      '--server-fault',
      'no-dedup',
      '--no-minimize',
    );
    expect(again.code, again.out + again.err).toBe(1);
    expect(again.out).toMatch(/FAIL\s+flaky-receipts/);
  });

  it('refuses --case-seed for more than one case, with exit code 2', () => {
    const r = imspec('run', 'suites/faults', '--case-seed', '5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--case-seed replays one case: give --only selecting exactly one \(it selects \d+\)/,
    );
  });
});
