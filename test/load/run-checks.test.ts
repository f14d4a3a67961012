/**
 * What `imspec load` settles before it starts anything (src/load/run-checks.ts), on the real CLI:
 * a run that cannot do what its profile says exits 2 at once — no server started, no bot
 * connected — and a run whose bots could not connect is the kit's ERROR, not a FAIL of the server.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/runner/embedded.js';
import type { Target } from '../../src/runner/target.js';
import { assertBuilt, CLI } from '../server/spawn.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const TINY = join(import.meta.dirname, 'profiles/tiny.yaml');
/** Nothing listens here: a check that reached the network would fail differently. */
const NOWHERE = 'ws://127.0.0.1:1';

async function load(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  assertBuilt();
  const started = performance.now();
  try {
    const { stderr } = await exec(process.execPath, [CLI, 'load', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stderr, ms: performance.now() - started };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr, ms: performance.now() - started };
  }
}

describe('imspec load: what is settled before the run starts', () => {
  it('refuses process faults on a target the kit did not launch (a kill that never happens)', async () => {
    const r = await load(['profiles/server-kill.yaml', '--target', NOWHERE, '--hmac-secret', 's']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/server-kill has process faults \(kill at 4s\).*--target-cmd/);
    expect(r.stderr).toContain('[IMSPEC_ERR_USAGE]');
  });

  it('refuses a --duration that would leave a process fault out, naming the fault', async () => {
    const r = await load(['profiles/server-kill.yaml', '--duration', '3s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--duration 3s: .*kill at 4s.* never happen; give a --duration of at least 4s/);
    expect(r.stderr).not.toMatch(/target log/);
  });

  it('refuses a source address that is not an address, or not this host’s', async () => {
    const [bad, foreign, ok] = await Promise.all([
      load(['profiles/steady.yaml', '--target', NOWHERE, '--source-address', '999.1.1.1']),
      load(['profiles/steady.yaml', '--target', NOWHERE, '--source-address', '10.255.255.1']),
      // A bindable address passes the check and fails later, at the unreachable target.
      load(['profiles/steady.yaml', '--target', NOWHERE, '--source-address', '127.0.0.3']),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--source-address must be an IPv4 address, got "999.1.1.1"/);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/--source-address 10.255.255.1: this host cannot bind a socket to it/);
    expect(ok.code).toBe(2);
    expect(ok.stderr).not.toMatch(/--source-address/);
    expect(ok.stderr).toContain('[IMSPEC_ERR_TARGET_UNREACHABLE]');
  });

  it('refuses a built-in driver of another protocol without --target (the embedded server speaks RAN/1)', async () => {
    const r = await load(['profiles/steady.yaml', '--driver', 'mqtt', '--duration', '2s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--driver mqtt needs --target/);
    expect(r.stderr).not.toMatch(/target log|CONNACK/);
  });

  it('loads the driver before starting the embedded server', async () => {
    const r = await load(['profiles/steady.yaml', '--driver', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/driver "nope"/);
    expect(r.stderr).not.toMatch(/target log/);
  });
});

describe('imspec load: bots that cannot connect', () => {
  let target: Target;
  let proxy: Server;
  const secret = randomBytes(8).toString('hex');
  beforeAll(async () => {
    target = await startEmbedded({ secret, faults: [] });
    const { port } = new URL(target.url);
    // The preflight's TCP probe and login get through; every later connection (the bots') is cut.
    let passed = 0;
    proxy = createServer((client) => {
      if (passed++ >= 2) return void client.destroy();
      const upstream = connect(Number(port), '127.0.0.1');
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  }, 30_000);
  afterAll(async () => {
    proxy?.close();
    await target?.stop();
  });

  it('are the kit’s ERROR with the connect error, not thresholds broken by the server', async () => {
    const address = proxy.address() as { port: number };
    const r = await load([TINY, '--target', `ws://127.0.0.1:${address.port}`, '--hmac-secret', secret]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /ERROR: the kit could not connect its bots to ws:\/\/127\.0\.0\.1:\d+: 0 of 20 logged in, no sender among them \(first error: .+\)/,
    );
    expect(r.stderr).not.toMatch(/thresholds|FAIL/);
  }, 60_000);
});
