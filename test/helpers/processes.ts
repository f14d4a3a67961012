/**
 * Finding the processes a test's CLI run left, from /proc (Linux): by an environment variable the
 * test set on the run (every descendant inherits it, the user's --target-cmd too), or by parent.
 */

import { readdirSync, readFileSync } from 'node:fs';

function eachProcess(visit: (pid: number) => void): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      visit(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
}

/** Fields after `(comm)` of /proc/PID/stat: state, ppid, pgrp, … */
function statOf(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The command line of `pid`, arguments joined by spaces ('' once it is gone). */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * Live (not zombie) processes whose environment holds `entry` ("NAME=value"). A killed process
 * whose parent is gone may stay a zombie until init reaps it: that is dead, not a leftover.
 */
export function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  eachProcess((pid) => {
    if (statOf(pid)[0] === 'Z') return;
    if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) pids.push(pid);
  });
  return pids;
}

/** The state letter of `pid` (R, S, T for stopped, Z…), or undefined once it is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    return statOf(pid)[0];
  } catch {
    return undefined;
  }
}

/** Live children of `parent`. */
export function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  eachProcess((pid) => {
    const [state, ppid] = statOf(pid);
    if (state !== 'Z' && Number(ppid) === parent) pids.push(pid);
  });
  return pids;
}

/** Polls `probe` every 25 ms until it returns a value other than undefined, or `ms` pass (undefined). */
export async function waitFor<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined || performance.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}
