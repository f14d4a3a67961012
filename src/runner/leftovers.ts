/**
 * What the kit leaves on the machine while it runs — child process groups it started (embedded
 * servers, --target-cmd) and temporary directories — recorded here so that however the process
 * ends (a case's own stop, Ctrl-C, a second Ctrl-C that exits at once, an uncaught error) none of
 * it outlives the kit. `sweepSync` is synchronous because an 'exit' listener cannot wait.
 *
 * A SIGKILLed kit runs no 'exit' listener. Its own children watch for that themselves (the
 * embedded server: src/cli/parent.ts; load workers: their IPC channel); the groups of a user's
 * `--target-cmd` cannot, so those are also told to a reaper process (src/runner/reaper-main.ts),
 * which stops them when the kit is gone.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

const groups = new Set<number>();
let reaper: ChildProcess | undefined;
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', sweepSync);
}

/**
 * A child started in its own process group (spawn `detached: true`); `pid` is the group id.
 * `reap`: also stopped should the kit die without its exit sweep (a child that does not watch for
 * that itself: a --target-cmd).
 */
export function trackGroup(pid: number, reap = false): void {
  install();
  groups.add(pid);
  if (reap) tellReaper(`+${pid}`);
}

/**
 * A tracked group of the kit's own was paused (SIGSTOP): it watches the kit itself (its IPC
 * channel) but cannot see the kit die while stopped, so the reaper wakes it should that happen.
 */
export function pausedGroup(pid: number): void {
  tellReaper(`~${pid}`);
}

export function untrackGroup(pid: number): void {
  groups.delete(pid);
  if (reaper) tellReaper(`-${pid}`);
}

/**
 * Starts the kit's one reaper, when not yet running. Called before the first group it must know
 * of is spawned: a group spawned first could see the kit die while the reaper is still starting.
 */
export function startReaper(): ChildProcess {
  if (!reaper) {
    reaper = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'runner', 'reaper-main.js')], {
      // A session of its own: a terminal's Ctrl-C goes to the kit, not to the reaper.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Neither the reaper nor the pipe to it keeps the kit running; a reaper that failed to start
    // or died leaves the kit as it was without one.
    reaper.unref();
    (reaper.stdin as Socket).unref();
    reaper.on('error', () => {});
    reaper.stdin?.on('error', () => {});
  }
  return reaper;
}

function tellReaper(line: string): void {
  startReaper().stdin?.write(`${line}\n`);
}

/** A temporary directory the kit created and removes when done. */
export function trackDir(path: string): void {
  install();
  dirs.add(path);
}

export function untrackDir(path: string): void {
  dirs.delete(path);
}

/** SIGKILLs every tracked process group and removes every tracked directory, now. */
export function sweepSync(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** How many process groups and directories are tracked (tests). */
export function leftoverCounts(): { groups: number; dirs: number } {
  return { groups: groups.size, dirs: dirs.size };
}
