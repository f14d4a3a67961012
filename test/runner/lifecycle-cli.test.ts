/**
 * What the kit's processes leave when the kit ends early, on the real CLI: Ctrl-C while a
 * --target-cmd starts stops it at once, and a SIGKILLed kit (no handler of its runs) takes its
 * own children with it — the embedded servers and their temp files, the load workers.
 * Each run carries a marker in its environment, inherited by everything it starts, so what it
 * leaves is found in /proc whatever its command line.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { childrenOf, commandLineOf, processesWithEnv, stateOf, waitFor } from '../helpers/processes.js';
import { assertBuilt, CLI } from '../server/spawn.js';

const markers: string[] = [];
const roots: string[] = [];
afterAll(() => {
  // A failing test must not leave its processes running for the next one.
  for (const marker of markers) {
    for (const pid of processesWithEnv(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Kit {
  child: ChildProcess;
  marker: string;
  tmp: string;
  err: () => string;
  exited: Promise<{ code: number | null; atMs: number }>;
}

/** The CLI with `args`, a marker in its environment and a TMPDIR of its own. */
function startKit(args: string[]): Kit {
  assertBuilt();
  const marker = `IMSPEC_TEST_RUN=${randomBytes(6).toString('hex')}`;
  markers.push(marker);
  const root = mkdtempSync(join(tmpdir(), 'imspec-lifecycle-'));
  roots.push(root);
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const [name, value] = marker.split('=') as [string, string];
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, TMPDIR: tmp, [name]: value },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = once(child, 'exit').then(([code]) => ({
    code: code as number | null,
    atMs: performance.now(),
  }));
  return { child, marker, tmp, err: () => err, exited };
}

/** The pids of `kit`'s children whose command line matches `pattern`, once there are `count`. */
async function childrenMatching(kit: Kit, pattern: RegExp, count: number, ms: number): Promise<number[]> {
  const found = await waitFor(() => {
    const pids = childrenOf(kit.child.pid!).filter((pid) => pattern.test(commandLineOf(pid)));
    return pids.length >= count ? pids : undefined;
  }, ms);
  if (!found) throw new Error(`no ${count} children matching ${pattern} after ${ms} ms\n${kit.err()}`);
  return found;
}

/** Every process `kit` started still alive after `ms` (a SIGKILLed one takes a moment), as "pid command". */
async function survivors(kit: Kit, ms: number): Promise<string[]> {
  await waitFor(() => (processesWithEnv(kit.marker).length === 0 ? true : undefined), ms);
  return processesWithEnv(kit.marker).map((pid) => `${pid} ${commandLineOf(pid)}`);
}

/** `run` against a --target-cmd that never listens (`sleep 30`), on a free port. */
async function startSleepingTarget(): Promise<Kit> {
  return startKit([
    'run',
    '--target',
    `ws://127.0.0.1:${await freePort()}`,
    '--target-cmd',
    'sleep 30',
    '--hmac-secret',
    's',
  ]);
}

describe('Ctrl-C while the --target-cmd server starts', () => {
  it('stops the command at once and exits 130, not after the start timeout', async () => {
    // Nothing ever listens: without an abortable wait the kit sits out its 15 s start timeout.
    const kit = await startSleepingTarget();
    await childrenMatching(kit, /sleep 30/, 1, 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const sentAt = performance.now();
    kit.child.kill('SIGINT');
    const { code, atMs } = await Promise.race([
      kit.exited,
      new Promise<{ code: null; atMs: number }>((r) =>
        setTimeout(() => r({ code: null, atMs: Infinity }), 3_000),
      ),
    ]);
    expect(code, kit.err()).toBe(130);
    expect(atMs - sentAt).toBeLessThan(3_000);
    expect(await survivors(kit, 2_000)).toEqual([]);
  }, 20_000);
});

describe('a SIGKILLed kit', () => {
  it('run: its embedded server exits and removes its temp database', async () => {
    const kit = startKit(['run', 'suites/core']);
    await childrenMatching(kit, / serve /, 1, 20_000);
    expect(readdirSync(kit.tmp).length).toBeGreaterThan(0);
    kit.child.kill('SIGKILL');
    await kit.exited;
    expect(await survivors(kit, 10_000)).toEqual([]);
    // What the server owned went with it (the kit's tmp dir for its --db).
    expect(readdirSync(kit.tmp, { recursive: true })).toEqual([]);
  }, 40_000);

  it('load: its embedded servers and worker processes exit, their temp databases go', async () => {
    const kit = startKit(['load', 'profiles/steady.yaml', '--workers', '2', '--servers', '2']);
    await childrenMatching(kit, / serve /, 2, 20_000);
    await childrenMatching(kit, /worker-main/, 2, 20_000);
    kit.child.kill('SIGKILL');
    await kit.exited;
    expect(await survivors(kit, 10_000)).toEqual([]);
    expect(readdirSync(kit.tmp)).toEqual([]);
  }, 40_000);

  it('run: a server the kit paused (SIGSTOP) is woken to exit too', async () => {
    const root = mkdtempSync(join(tmpdir(), 'imspec-lifecycle-'));
    roots.push(root);
    const scenario = join(root, 'paused.yaml');
    writeFileSync(
      scenario,
      'id: paused-kit-dies\ntitle: The kit dies while its server is paused\ncovers: [DUR-1]\n' +
        'users: { alice: phone }\nsteps:\n  - connect: [alice]\n  - target: pause\n  - wait: 30s\n',
    );
    const kit = startKit(['run', scenario]);
    const [server] = await childrenMatching(kit, / serve /, 1, 20_000);
    // Stopped, it cannot see its channel close: only the reaper's SIGCONT lets it.
    expect(await waitFor(() => (stateOf(server!) === 'T' ? true : undefined), 20_000), kit.err()).toBe(true);
    kit.child.kill('SIGKILL');
    await kit.exited;
    expect(await survivors(kit, 10_000)).toEqual([]);
    expect(readdirSync(kit.tmp)).toEqual([]);
  }, 60_000);

  it("run: a --target-cmd's process group is stopped too (by the kit's reaper)", async () => {
    const kit = await startSleepingTarget();
    await childrenMatching(kit, /sleep 30/, 1, 10_000);
    // The kit tells the reaper of the group right after spawn() returns; a kill in that moment
    // (which a test polling /proc can hit on a busy machine) is not the case under test.
    await new Promise((r) => setTimeout(r, 300));
    kit.child.kill('SIGKILL');
    await kit.exited;
    // The reaper carries the marker too: it must be gone as well once its work is done.
    expect(await survivors(kit, 10_000)).toEqual([]);
  }, 30_000);
});

describe('imspec serve --embedded (the kit passes it)', () => {
  it('without a kit to watch exits at once, and removes no directory the kit did not name', async () => {
    assertBuilt();
    const root = mkdtempSync(join(tmpdir(), 'imspec-lifecycle-'));
    roots.push(root);
    const dir = join(root, 'my-data');
    mkdirSync(dir);
    // No IPC channel: as if the kit had died before the server could watch it.
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--db', join(dir, 'x.db'), '--embedded'],
      {
        stdio: 'ignore',
      },
    );
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(readdirSync(root)).toEqual(['my-data']);
  }, 20_000);
});
