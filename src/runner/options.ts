/**
 * Options of `imspec run`, resolved once: user options in, checked, defaulted and frozen out.
 * Every default lives here.
 */

import { UsageError } from '../errors.js';
import { didYouMean } from '../hints.js';
import { isServerFaultName, SERVER_FAULT_NAMES } from '../server/faults.js';

export interface RunOptions {
  /** Scenario files or directories. @default ['suites/core'] */
  paths: string[];
  /** Target URL; absent → the embedded reference server, one per case. */
  target?: string;
  /** Shell command that starts the target at `target` (the kit may kill and restart it). */
  targetCmd?: string;
  /** Driver name. @default 'ran' */
  driver: string;
  /** Case ids (or globs with *) to run; empty runs all. @default [] */
  only: string[];
  /** Seed for every random choice; printed so a run can be replayed. @default random */
  seed: number;
  /** Per-case deadline override in ms (otherwise each scenario's `timeout`). */
  timeoutMs?: number;
  /** `imspec serve --fault` names for the embedded server (to prove cases can fail). @default [] */
  serverFaults: string[];
  /** Extra `imspec serve` args for the embedded server. @default [] */
  serverArgs: string[];
  /** HMAC secret for tokens (embedded: random; external: --hmac-secret or IMSPEC_HMAC_SECRET). */
  hmacSecret?: string;
  /** Reporter specs: console, json=PATH, junit=PATH. @default ['console'] */
  reports: string[];
  /** Expected-failures file. */
  expectFailures?: string;
  /** Run each case this many times (FLAKY detection). @default 1 */
  repeat: number;
  /** INCONCLUSIVE cases (a precondition did not hold) fail the run (exit 1). @default false */
  strict: boolean;
  /**
   * How long a `--target-cmd` start (and each restart) may take until the target accepts
   * connections at `target`, in ms. @default 15000
   */
  startTimeoutMs: number;
  /**
   * Shell command that creates one account on the target, run once per user of a case, one after
   * another, before the case's timeline (env IMSPEC_USER, IMSPEC_PASSWORD, IMSPEC_TARGET); for
   * servers whose accounts the driver cannot create itself (docs/certify.md, "Accounts").
   */
  provisionCmd?: string;
  /**
   * Keep the wire text of only the newest N valid frames of each case (history/raw-window.ts):
   * memory for long cases. The checker reads fields, not text; older frames in a report are
   * drawn from their fields, and invalid frames always keep theirs. @default every frame's text
   */
  rawWindow?: number;
}

export const RUN_DEFAULTS = {
  paths: ['suites/core'],
  driver: 'ran',
  only: [] as string[],
  serverFaults: [] as string[],
  serverArgs: [] as string[],
  reports: ['console'],
  repeat: 1,
  strict: false,
  startTimeoutMs: 15_000,
} as const;

export function resolveRunOptions(input: Partial<RunOptions>): Readonly<RunOptions> {
  const options: RunOptions = {
    paths: input.paths?.length ? input.paths : [...RUN_DEFAULTS.paths],
    driver: input.driver ?? RUN_DEFAULTS.driver,
    only: input.only ?? [],
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    serverFaults: input.serverFaults ?? [],
    serverArgs: input.serverArgs ?? [],
    reports: input.reports?.length ? input.reports : [...RUN_DEFAULTS.reports],
    repeat: input.repeat ?? RUN_DEFAULTS.repeat,
    strict: input.strict ?? RUN_DEFAULTS.strict,
    startTimeoutMs: input.startTimeoutMs ?? RUN_DEFAULTS.startTimeoutMs,
  };
  if (input.target !== undefined) options.target = input.target;
  if (input.targetCmd !== undefined) options.targetCmd = input.targetCmd;
  if (input.timeoutMs !== undefined) options.timeoutMs = input.timeoutMs;
  if (input.hmacSecret !== undefined) options.hmacSecret = input.hmacSecret;
  if (input.expectFailures !== undefined) options.expectFailures = input.expectFailures;
  if (input.provisionCmd !== undefined) options.provisionCmd = input.provisionCmd;
  if (input.rawWindow !== undefined) options.rawWindow = input.rawWindow;

  if (options.targetCmd && !options.target) {
    throw new UsageError(
      '--target-cmd needs --target URL: the address the command makes the server listen on',
    );
  }
  if (options.serverFaults.length && options.target) {
    throw new UsageError(
      '--server-fault applies to the embedded reference server only; drop --target to use it',
    );
  }
  // Checked here, once: an unknown name would otherwise fail every case's server start alike.
  for (const name of options.serverFaults) {
    if (!isServerFaultName(name)) {
      throw new UsageError(
        `--server-fault ${name} is not a fault of the reference server${didYouMean(name, SERVER_FAULT_NAMES)}; ` +
          `known: ${SERVER_FAULT_NAMES.join(', ')}`,
      );
    }
  }
  // An empty secret would reach the embedded server's own check and fail its start, said twice.
  if (input.hmacSecret === '') {
    throw new UsageError(
      '--hmac-secret is empty: give the secret the target derives tokens from, or leave it out',
    );
  }
  if (!Number.isInteger(options.seed) || options.seed < 0) {
    throw new UsageError(`--seed must be a non-negative integer, got ${input.seed}`);
  }
  if (!Number.isInteger(options.repeat) || options.repeat < 1) {
    throw new UsageError(`--repeat must be a positive integer, got ${input.repeat}`);
  }
  if (!(Number.isInteger(options.startTimeoutMs) && options.startTimeoutMs > 0)) {
    throw new UsageError(`--start-timeout must be a positive duration, got ${input.startTimeoutMs}`);
  }
  if (input.startTimeoutMs !== undefined && !options.targetCmd) {
    throw new UsageError('--start-timeout applies to a server the kit starts: give --target-cmd too');
  }
  if (options.rawWindow !== undefined && !(Number.isInteger(options.rawWindow) && options.rawWindow >= 0)) {
    throw new UsageError(`--raw-window must be a whole number of frames (0 or more), got ${input.rawWindow}`);
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new UsageError(`--timeout must be a positive duration, got ${input.timeoutMs}`);
  }
  return Object.freeze(options);
}
