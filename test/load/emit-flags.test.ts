/**
 * `imspec load --emit k8s` and the flags around it, on the real CLI: manifest flags need --emit;
 * with --emit, the run flags a pod can take are checked and passed to every pod (and the merge
 * waits for the run they make), and the others are refused with the reason — never dropped.
 * All of these end before any run starts.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { mergeWaitMs } from '../../src/load/k8s.js';
import { loadProfileFile } from '../../src/load/profile/load-profile.js';
import { assertBuilt, CLI } from '../server/spawn.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const EMIT = ['load', 'profiles/steady.yaml', '--emit', 'k8s', '--shards', '2', '--target', 'ws://x:1'];

async function imspec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  assertBuilt();
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const containerArgs = (yaml: string, component: string): string[] => {
  const jobs = parseAllDocuments(yaml).map((d) => d.toJS());
  const job = jobs.find((j) => j?.metadata?.labels?.['app.kubernetes.io/component'] === component);
  return job.spec.template.spec.containers[0].args;
};
const argOf = (args: string[], flag: string) =>
  args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined;

describe('imspec load --emit k8s: where each flag goes', () => {
  it('refuses manifest flags without --emit (a run would ignore them)', async () => {
    const cases = [
      ['--shards', '4'],
      ['--image', 'registry/imspec:1'],
      ['--storage-class', 'nfs'],
      ['--namespace', 'load'],
    ];
    const results = await Promise.all(cases.map((flag) => imspec(['load', 'profiles/steady.yaml', ...flag])));
    for (const [i, r] of results.entries()) {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr).toContain(
        `${cases[i]![0]} shapes the manifests of --emit k8s and does nothing in a run`,
      );
    }
  });

  it('passes the run flags a pod takes to every pod, and waits for the run they make', async () => {
    const r = await imspec([...EMIT, '--duration', '2m', '--workers', '2', '--quiet', '--seed', '5']);
    expect(r.code).toBe(0);
    const shard = containerArgs(r.stdout, 'shard');
    expect(argOf(shard, '--duration')).toBe('2m');
    expect(argOf(shard, '--workers')).toBe('2');
    expect(shard).toContain('--quiet');
    expect(argOf(shard, '--seed')).toBe('5');
    const { drainMs } = loadProfileFile(join(ROOT, 'profiles/steady.yaml'));
    const wait = Math.ceil(mergeWaitMs({ durationMs: 120_000, drainMs }) / 1000);
    expect(argOf(containerArgs(r.stdout, 'merge'), '--wait')).toBe(`${wait}s`);
    // Without --duration the pods run the profile's own, and no flag is invented.
    const plain = containerArgs((await imspec(EMIT)).stdout, 'shard');
    for (const flag of ['--duration', '--workers', '--quiet']) expect(plain).not.toContain(flag);
  });

  it('checks those flags by the run’s rules before printing anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--duration', 'abc'], /--duration: "abc" is not a duration/],
      [['--duration', '0s'], /--duration must be longer than 0/],
      [
        ['--workers', '-1'],
        /--workers must be a whole number, 0 or more \(0 runs the bots in this process\), got "-1"/,
      ],
      [['--shards', '0'], /--shards must be a positive integer, got "0"/],
      [['--seed', '0x10'], /--seed must be a decimal integer from 0 to 4294967295, got "0x10"/],
      [['--pushgateway', 'not-a-url'], /--pushgateway "not-a-url" is not a URL/],
    ];
    const results = await Promise.all(cases.map(([flags]) => imspec([...EMIT, ...flags])));
    for (const [i, r] of results.entries()) {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stdout).toBe('');
    }
  });

  it('refuses the run flags a pod cannot take, saying why', async () => {
    const cases: [string[], RegExp][] = [
      [['--server-fault', 'no-dedup'], /does not take --server-fault: the pods load --target/],
      [['--out', 'x.json'], /does not take --out: each pod writes \/results\/shard-<i>\.json/],
      [['--shard', '0/2'], /does not take --shard: .*--shards/],
      [['--hmac-secret', 's'], /does not take --hmac-secret: a secret does not belong in a manifest/],
      [['--target-cmd', 'true'], /does not take --target-cmd/],
      [['--report', 'junit=x.xml'], /does not take --report: the merge Job writes the reports/],
      [['--source-address', '127.0.0.2'], /does not take --source-address/],
      [['--metrics-port', '9000'], /does not take --metrics-port/],
    ];
    const results = await Promise.all(cases.map(([flags]) => imspec([...EMIT, ...flags])));
    for (const [i, r] of results.entries()) {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stdout).toBe('');
    }
  }, 60_000);

  it('refuses a profile with process faults: the pods cannot kill a target they only connect to', async () => {
    const r = await imspec([
      'load',
      'profiles/server-kill.yaml',
      '--emit',
      'k8s',
      '--shards',
      '2',
      '--target',
      'ws://x:1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/server-kill has process faults \(kill at 4s\).*cannot kill or restart it/);
  });
});
