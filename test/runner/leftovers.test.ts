/**
 * The exit sweep (src/runner/leftovers.ts) on real processes: whatever the kit tracked is killed
 * and removed by the synchronous sweep that runs on exit, including on a second Ctrl-C, which
 * test/runner/interrupt-cli.test.ts cannot force to find a server still running.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftoverCounts, sweepSync, trackDir, trackGroup } from '../../src/runner/leftovers.js';

/** Pids of the processes of group `pgid` that are not zombies, from /proc. */
function liveMembersOf(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp …; comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') live.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return live;
}

describe('the exit sweep', () => {
  it('SIGKILLs every tracked process group, children included, and removes every tracked directory', async () => {
    // A shell with a child of its own, in its own group, as --target-cmd starts one.
    const child = spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true, stdio: 'ignore' });
    const exited = once(child, 'exit');
    trackGroup(child.pid!);
    const dir = mkdtempSync(join(tmpdir(), 'imspec-sweep-'));
    writeFileSync(join(dir, 'server.db'), '');
    trackDir(dir);

    sweepSync();

    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    // The group's other member (the sleep) went too. A killed process whose parent is gone may
    // stay a zombie (state Z) until init reaps it: that is dead, not a leftover.
    await expect.poll(() => liveMembersOf(child.pid!)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(leftoverCounts()).toEqual({ groups: 0, dirs: 0 });
  });
});
