/**
 * The reference server's programmatic API: `startServer(options)` → RunningServer. The CLI
 * (`imspec serve`), the kit's tests and the bench all start it through here.
 */

export type { CommitStats } from './commit-queue.js';
export {
  ACK_BEFORE_COMMIT_DELAY_MS,
  describeServerFaults,
  isServerFaultName,
  SERVER_FAULT_NAMES,
  SERVER_FAULTS,
  type ServerFaultName,
} from './faults.js';
export {
  DEFAULT_LIMITS,
  LIMIT_RANGES,
  limitProblem,
  type ResolvedAuth,
  type ResolvedServerOptions,
  resolveServerOptions,
  SERVER_DEFAULTS,
  type ServerOptions,
} from './options.js';
export { type RunningServer, type ServerStats, SUBPROTOCOL, startServer } from './server.js';
