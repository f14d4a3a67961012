/**
 * A child the kit starts for itself (the embedded `imspec serve`) ends with the kit, however the
 * kit ends — SIGKILL and the OOM killer included, which run no handler of the kit's.
 *
 * How the child learns it: the IPC channel the kit opens to it (spawn with an 'ipc' stdio entry).
 * The kernel closes the kit's end of that socket when the kit dies, so the child sees 'disconnect'
 * at once, whatever killed it. The alternatives were worse: EOF on a stdin pipe is also what a
 * user's `imspec serve < /dev/null` sees at once, and a stdin the child reads is one a target
 * command could steal; polling process.ppid notices only on the next poll, costs a timer for the
 * server's lifetime, and under a subreaper (a container's init, systemd --user) the new ppid is
 * not 1. Only a server the kit started watches (`imspec serve --embedded`, a hidden flag), so
 * `imspec serve` from a shell never exits for this.
 *
 * Load workers (src/load/worker/worker-main.ts) end the same way: forked with the channel their
 * messages travel on, they exit on its 'disconnect'.
 */

import { tmpdir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';

/** The temp dir the kit makes for an embedded server's --db: `$TMPDIR/imspec-target-XXXXXX`. */
export const EMBEDDED_DIR_PREFIX = 'imspec-target-';

/**
 * Whether `dir` is named as the kit names an embedded server's temp dir. An orphaned server removes
 * its --db's directory only then: a user who copies `--embedded` from `ps` onto a server of their
 * own loses no data directory to it.
 */
export function isEmbeddedDataDir(dir: string): boolean {
  return dirname(resolve(dir)) === resolve(tmpdir()) && basename(dir).startsWith(EMBEDDED_DIR_PREFIX);
}

/**
 * Resolves when the parent that opened this process's IPC channel is gone. Only for a process
 * told (by a flag) that its parent opened one: a parent that died while this process was still
 * loading its modules took the channel with it before anyone listened, and nothing else tells
 * "gone already" from "never had one". The channel does not keep the process alive by itself, so
 * a server stopped by SIGTERM still exits once closed.
 */
export function parentGone(): Promise<void> {
  return new Promise((resolve) => {
    const channel = process.channel;
    if (!channel || !process.connected) return resolve(quietOutput());
    channel.unref();
    process.once('disconnect', () => resolve(quietOutput()));
  });
}

function quietOutput(): void {
  // Our stdout and stderr were pipes to the parent: writing there now fails with EPIPE, which
  // must not end the process before it has cleaned up.
  // (main.ts exits 0 on EPIPE, for `imspec … | head`: not here.)
  for (const stream of [process.stdout, process.stderr]) {
    stream.removeAllListeners('error');
    stream.on('error', () => {});
  }
}
