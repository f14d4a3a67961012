/**
 * Entry of the reaper, a small process the kit starts beside a `--target-cmd` server (see
 * src/runner/leftovers.ts): it learns on stdin which process groups the kit runs ("+PGID" and
 * "-PGID" lines) and, at EOF, stops those still listed. "~PGID" names a group of the kit's own
 * that the kit paused (SIGSTOP): it watches the kit itself, but only once woken, so at EOF it
 * gets SIGCONT and nothing else.
 *
 * EOF on stdin is the kit's death, however it died: the kernel closes the kit's end of the pipe
 * on SIGKILL too, when no handler of the kit's runs and its exit sweep never happens. A user's
 * command cannot watch the kit itself, as the embedded server does (src/cli/parent.ts): it knows
 * nothing of the kit. And it runs in a session of its own (so that every signal reaches its whole
 * tree), which nothing ends when the kit's session or process group goes.
 */

/** How long a group may take to stop on SIGTERM before it gets SIGKILL: as ProcessTarget.stop. */
const GRACE_MS = 5_000;

/** The groups to stop at EOF. */
const groups = new Set<number>();
/** The groups only to wake at EOF. */
const paused = new Set<number>();
let pending = '';

// Its own session already keeps a terminal's Ctrl-C away; a signal sent to it alone by mistake
// must not leave the groups with no one to stop them either. Only the kit going ends it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line.startsWith('+')) groups.add(pgid);
    else if (line.startsWith('~')) paused.add(pgid);
    else if (line.startsWith('-')) {
      groups.delete(pgid);
      paused.delete(pgid);
    }
  }
});
process.stdin.on('end', () => void stopAll().then(() => process.exit(0)));

/** Sends `signal` to group `pgid`; false once the group has no process left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function stopAll(): Promise<void> {
  for (const pgid of paused) signalGroup(pgid, 'SIGCONT');
  // A paused server (a `pause` case) cannot act on SIGTERM until woken.
  for (const pgid of groups) if (signalGroup(pgid, 'SIGCONT')) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while ([...groups].some((pgid) => signalGroup(pgid, 0)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
}
