/**
 * What a run must settle before it starts anything, beyond the options' own shapes (options.ts)
 * and the profile's (profile/load-profile.ts): whether the run can do what the profile says with
 * the target and addresses it was given. Each failure is a UsageError (exit 2, before any work):
 * a run that silently left out a kill, or bound its bots to an address this host does not have,
 * would report a verdict on load it never applied.
 */

import { createServer, isIPv4 } from 'node:net';
import { UsageError } from '../errors.js';
import { formatDuration } from '../scenarios/duration.js';
import type { LoadProfile, ProcessFault } from './profile/types.js';

/** `kill at 4s`, as a profile writes it. */
export function describeProcessFault(f: ProcessFault): string {
  return `${f.action} at ${formatDuration(f.atMs)}`;
}

/**
 * Process faults act on a target the kit launched: the embedded server or `--target-cmd`. A
 * target the kit only connects to cannot be killed, and a run that skipped its kill would pass
 * without having tested what the profile promises.
 */
export function requireProcessControl(
  profile: LoadProfile,
  how: { target?: string; targetCmd?: string; emit?: boolean },
): void {
  const [first] = profile.process;
  if (!first || !how.target || how.targetCmd) return;
  const faults = profile.process.map(describeProcessFault).join(', ');
  throw new UsageError(
    how.emit
      ? `the profile ${profile.name} has process faults (${faults}), and the pods of --emit k8s only connect to --target: they cannot kill or restart it. Remove the profile's process: entries to run it on Kubernetes`
      : `the profile ${profile.name} has process faults (${faults}): they act on a target the kit launched. Drop --target to run the embedded reference server, or add --target-cmd COMMAND that starts the server at --target (keeping its data across restarts)`,
  );
}

/**
 * `--duration` shorter than the profile: a process fault after the last scheduled send would
 * never happen, the same rule the profile check applies to the profile's own duration.
 */
export function checkFaultsWithin(profile: LoadProfile, durationMs: number): void {
  const late = profile.process.filter((p) => p.atMs > durationMs);
  if (late.length === 0) return;
  throw new UsageError(
    `--duration ${formatDuration(durationMs)}: the profile's process fault${late.length > 1 ? 's' : ''} ${late.map(describeProcessFault).join(', ')} would come after the last scheduled send (${formatDuration(durationMs)}) and never happen; give a --duration of at least ${formatDuration(late.at(-1)!.atMs)}`,
  );
}

/**
 * Every `--source-address` is an IPv4 address this host has: a socket binds to it (port 0). An
 * address it cannot bind would make every bot's connection fail, and the run would judge nothing.
 */
export async function checkSourceAddresses(addresses: readonly string[]): Promise<void> {
  for (const a of addresses) {
    if (!isIPv4(a)) throw new UsageError(`--source-address must be an IPv4 address, got "${a}"`);
    const problem = await bindProblem(a);
    if (problem) {
      throw new UsageError(
        `--source-address ${a}: this host cannot bind a socket to it (${problem}); use an address of one of its interfaces, or 127.0.0.x for a loopback target`,
      );
    }
  }
}

function bindProblem(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: address, port: 0, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}
