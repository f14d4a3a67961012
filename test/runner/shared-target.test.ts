/**
 * The core suite certifies a correct RAN/1 server that the kit did not start fresh for each case:
 * `imspec serve` as an external target (`--target`) and as a `--target-cmd` the kit may kill and
 * restart. Every case passes, or is UNSUPPORTED for the process control an external target does
 * not give; none FAILs because probes addressed unprefixed users, or WARNs because a probe waited
 * a fixed time instead of the limits the server advertises (its default hello timeout, 10 s).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';
import { freePort } from '../helpers/ports.js';
import { CLI, type ServeProcess, startServe } from '../server/spawn.js';

const suite = new URL('../../suites/core', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-shared-target-'));
const secret = 'shared-target-secret';
let serve: ServeProcess | undefined;
afterAll(async () => {
  serve?.child.kill('SIGKILL');
  if (serve) await serve.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** Verdicts that are not PASS, with their reasons, for a readable failure. */
function notPassing(cases: readonly CaseResult[]): string[] {
  return cases.filter((c) => c.verdict !== 'PASS').map((c) => `${c.id}: ${c.verdict} ${c.reason ?? ''}`);
}

describe('suites/core against the reference server as a shared target', () => {
  it('passes every case on `imspec serve` given as --target (process-control cases UNSUPPORTED)', {
    timeout: 180_000,
  }, async () => {
    // Default limits: the hello timeout is 10 s, as documented.
    serve = await startServe(['--port', '0', '--db', join(dir, 'external.db'), '--hmac-secret', secret]);
    const run = await runSuites({
      paths: [suite],
      target: serve.url,
      hmacSecret: secret,
      seed: 16,
      reports: [],
    });
    const unsupported = run.cases.filter((c) => c.verdict === 'UNSUPPORTED');
    expect(unsupported.map((c) => c.reason)).toEqual(
      unsupported.map(
        () => 'target does not claim target control (run with --target-cmd, or without --target)',
      ),
    );
    expect(unsupported.map((c) => c.id).sort()).toEqual([
      'cursor-durable',
      'durability-kill-9',
      'graceful-shutdown',
    ]);
    expect(notPassing(run.cases.filter((c) => c.verdict !== 'UNSUPPORTED'))).toEqual([]);
    expect(run.exitCode).toBe(0);
    // The probes' messages landed in the run's own (prefixed) inboxes, never in a shared "dave".
    const ack = run.cases.find((c) => c.id === 'ack-rules')!;
    expect(ack.verdict).toBe('PASS');
  });

  it('passes every case when the kit starts the server with --target-cmd (and kills it)', {
    timeout: 180_000,
  }, async () => {
    const port = await freePort();
    // Another advertised hello timeout than the embedded server's: the probe follows hello:A.
    const command = `exec "${process.execPath}" "${CLI}" serve --port ${port} --db "${join(dir, 'cmd.db')}" --hmac-secret ${secret} --hello-timeout-ms 3000 --quiet`;
    const run = await runSuites({
      paths: [suite],
      target: `ws://127.0.0.1:${port}`,
      targetCmd: command,
      hmacSecret: secret,
      seed: 16,
      reports: [],
    });
    expect(notPassing(run.cases)).toEqual([]);
    expect(run.exitCode).toBe(0);
  });
});
