/**
 * A sharded run simulated on this machine, as a Kubernetes Indexed Job runs it: N shard
 * processes of the real CLI, each started with the same command line and its own
 * JOB_COMPLETION_INDEX, against one reference server; then `imspec merge`. The merged totals are
 * the profile's, exactly; a shard killed mid-run writes nothing and the merge names its index.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import { defaultLedger } from '../../src/load/default-ledger.js';
import type { LoadResult } from '../../src/load/result.js';
import { runLoad } from '../../src/load/run-load.js';
import { startEmbedded } from '../../src/runner/embedded.js';
import type { Target } from '../../src/runner/target.js';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/imspec.js');
const PROFILE = join(import.meta.dirname, 'profiles/sharded.yaml');
const SEED = 11;
const N = 4;

async function merge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, 'merge', ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One pod of the Indexed Job: the same arguments for every shard, the index in the environment. */
function shardProcess(dir: string, index: number, target: Target, secret: string): ChildProcess {
  const args = ['load', PROFILE, '--shard', `auto/${N}`, '--seed', String(SEED), '--target', target.url];
  return spawn(process.execPath, [BIN, ...args, '--out', join(dir, `shard-${index}.json`)], {
    env: { ...process.env, JOB_COMPLETION_INDEX: String(index), IMSPEC_HMAC_SECRET: secret, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Resolves once the pod says its bots are connected (the schedule is about to start). */
const connected = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('connected')) resolve();
    });
  });

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('a sharded load run, simulated as an Indexed Job', () => {
  let target: Target;
  const secret = randomBytes(8).toString('hex');
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'imspec-shards-'));
    dirs.push(d);
    return d;
  };
  /** A shard run in this process with the test ledger (until the CLI has its own). */
  const runShard = (dir: string, index: number) =>
    runLoad({
      profile: PROFILE,
      target: target.url,
      hmacSecret: secret,
      seed: SEED,
      shard: { index, count: N },
      ledger: defaultLedger(),
      quiet: true,
      out: join(dir, `shard-${index}.json`),
    });
  beforeAll(async () => {
    target = await startEmbedded({ secret, faults: [] });
  });
  afterAll(async () => {
    await target?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("merges N shards into the profile's totals, exactly, and judges the thresholds on the whole", async () => {
    const dir = tempDir();
    const shards: LoadResult[] = await Promise.all(
      Array.from({ length: N }, (_, index) => runShard(dir, index)),
    );
    // Each shard offered its exact share and alone breaks "sent == 400": only the whole holds it.
    expect(shards.map((s) => s.schedule.offered)).toEqual([100, 100, 100, 100]);
    expect(shards.every((s) => s.thresholds[0]!.ok === false)).toBe(true);
    const users = shards.map((s) => s.bots);
    expect(users.reduce((a, b) => a + b, 0)).toBe(32);

    const r = await merge([
      dir,
      '--out',
      join(dir, 'merged', 'load.json'),
      '--report',
      'console',
      '--report',
      `junit=${join(dir, 'load.xml')}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('merged 4 shards');
    const merged = JSON.parse(readFileSync(join(dir, 'merged', 'load.json'), 'utf8')) as LoadResult;
    const validate = new Ajv2020({ strict: true }).compile(resultSchema);
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
    expect(merged.schedule.offered).toBe(400);
    expect(merged.counters.sent).toBe(400);
    expect(merged.counters.delivered).toBe(400);
    expect(merged.counters.lost).toBe(0);
    expect(merged.counters.appDuplicates).toBe(0);
    expect(merged.faultsInjected).toBe(shards.reduce((n, s) => n + s.faultsInjected, 0));
    expect(merged.counters.retransmits).toBe(shards.reduce((n, s) => n + s.counters.retransmits, 0));
    expect(merged.latency.delivery_latency.count).toBe(400);
    expect(merged.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'load.xml'), 'utf8')).toContain('testsuite');
  }, 90_000);

  it('fails the merge naming the index of a shard that wrote nothing', async () => {
    const dir = tempDir();
    // Shard 2's pod died before writing: the others ran as usual.
    await Promise.all([0, 1, 3].map((index) => runShard(dir, index)));
    const r = await merge([dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard 2\/4 missing: no result file for index 2/);
    expect(r.stderr).toContain('[IMSPEC_ERR_MERGE]');
    expect(r.stdout).toBe('');
  }, 90_000);

  it("runs the real CLI as the Job's pods do (JOB_COMPLETION_INDEX, one command line), and a killed pod is named", async () => {
    const dir = tempDir();
    const pods = Array.from({ length: N }, (_, i) => shardProcess(dir, i, target, secret));
    const codes = await Promise.all(pods.map(exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const whole = await merge([
      join(dir, 'shard-0.json'),
      join(dir, 'shard-1.json'),
      join(dir, 'shard-2.json'),
      join(dir, 'shard-3.json'),
      '--out',
      join(dir, 'merged.json'),
      '--quiet',
    ]);
    expect(whole.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as LoadResult;
    expect([merged.schedule.offered, merged.counters.sent, merged.counters.delivered]).toEqual([
      400, 400, 400,
    ]);

    const again = tempDir();
    const second = Array.from({ length: N }, (_, i) => shardProcess(again, i, target, secret));
    // Kill pod 1 once its bots are connected (kill -9: nothing written, the others go on).
    await connected(second[1]!);
    second[1]!.kill('SIGKILL');
    const secondCodes = await Promise.all(second.map(exited));
    expect(secondCodes[1]).toBe(null);
    expect(existsSync(join(again, 'shard-1.json'))).toBe(false);
    const r = await merge([again]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard 1\/4 missing/);
  }, 240_000);
});
