/**
 * What the kit leaves on the machine while it runs — child process groups it started (embedded
 * servers, --target-cmd) and temporary directories — recorded here so that however the process
 * ends (a case's own stop, Ctrl-C, a second Ctrl-C that exits at once, an uncaught error) none of
 * it outlives the kit. `sweepSync` is synchronous because an 'exit' listener cannot wait.
 */

import { rmSync } from 'node:fs';

const groups = new Set<number>();
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', sweepSync);
}

/** A child started in its own process group (spawn `detached: true`); `pid` is the group id. */
export function trackGroup(pid: number): void {
  install();
  groups.add(pid);
}

export function untrackGroup(pid: number): void {
  groups.delete(pid);
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
