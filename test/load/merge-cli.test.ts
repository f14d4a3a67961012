/**
 * `imspec merge` as a user runs it (the built CLI): a shard file whose content is not a load
 * result is a usage-class error (exit 2) naming the file and the field, never a NaN verdict or a
 * stack trace; `--wait` takes hours, as its help's example does.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-merge-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imspec(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('imspec merge', () => {
  it("refuses a shard that is not a load result, naming the file and the field (with --help's --wait 2h)", () => {
    const file = join(dir, 'shard-0.json');
    // Every shard is there (1 of 1), so --wait returns at once.
    writeFileSync(file, JSON.stringify({ format: 'imspec-load-result/1', shard: { index: 0, count: 1 } }));
    const r = imspec('merge', file, '--wait', '2h');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^imspec: ${file}: field \\w+ is missing \\(schemas/load-result\\.schema\\.json\\)`),
    );
    expect(r.err).not.toMatch(/internal error|TypeError|at /);
    expect(r.out).toBe('');
  });

  it('takes --shards as a positive decimal integer, the rule of load --shards', () => {
    const r = imspec('merge', dir, '--shards', '1e2');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--shards must be a positive integer, got "1e2"/);
  });

  it('lists html=PATH among its reporters', () => {
    expect(imspec('merge', '--help').out).toMatch(
      /--report <spec>\s+reporter: console, json=PATH, junit=PATH, html=PATH/,
    );
  });
});
