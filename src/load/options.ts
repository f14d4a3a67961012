/**
 * Options of `imspec load`, resolved once: user options in, checked, defaulted, frozen out.
 * Every default of a run (not of the profile: profile/defaults.ts) lives here.
 */

import type { LedgerFactory } from '../checker/ledger-contract.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../hints.js';
import { isServerFaultName, SERVER_FAULT_NAMES } from '../server/faults.js';
import type { Slice } from './schedule.js';

export interface LoadOptions {
  /** The profile file. */
  profile: string;
  /** Target URL; absent → the embedded reference server (several when the population needs it). */
  target?: string;
  /** Shell command that starts the target at `target` (process faults need it). */
  targetCmd?: string;
  /** Driver name. @default 'ran' */
  driver: string;
  /** Overrides the executor's duration (a ramp's stages are scaled to it). */
  durationMs?: number;
  /** Seed of every random choice (fault draws, random recipients, offline phases). @default random */
  seed: number;
  /** `imspec serve --fault` names for the embedded server. @default [] */
  serverFaults: string[];
  /** Extra `imspec serve` arguments for the embedded server. @default [] */
  serverArgs: string[];
  /** HMAC secret tokens derive from (embedded: random). */
  hmacSecret?: string;
  /** Where the JSON summary is written (as `json=PATH`). */
  out?: string;
  /** Reporters: console, json=PATH, junit=PATH. @default ['console'], or [] when quiet */
  reports: string[];
  /** No console summary (the CLI shows no progress either). @default false */
  quiet: boolean;
  /**
   * Worker processes. 0 runs the bots in this process. @default 0 when the population fits one
   * process (up to 16,000 connections), else one process per 16,000 connections
   */
  workers?: number;
  /** Local addresses the bots bind to. @default none, or 127.0.0.2… when a loopback target needs more ports */
  sourceAddresses?: string[];
  /** Serve Prometheus /metrics on this port while running (0: any free port). */
  metricsPort?: number;
  /** @default '127.0.0.1' */
  metricsHost: string;
  /** Push the final metrics to this Pushgateway (job imspec-load, grouped by run id). */
  pushgateway?: string;
  /** Embedded reference servers to start. @default one per 15,000 connections */
  servers?: number;
  /**
   * This run is shard `index` of `count` (`--shard i/N`): its own users, its share of the arrival
   * rate and of counted faults (shard.ts). Needs `seed`: every shard draws from the same schedule.
   */
  shard?: Slice;
  /**
   * The streaming ledger to judge with (programmatic use). @default the checker's StreamingLedger
   */
  ledger?: LedgerFactory;
}

/** Connections one worker process holds at most (the fd limit here is 20,000 per process). */
export const CONNECTIONS_PER_WORKER = 16_000;
/** Connections one embedded reference server takes at most (same fd limit). */
export const CONNECTIONS_PER_SERVER = 15_000;
/** Connections per loopback source address (ephemeral ports 32768–60999 per address). */
export const CONNECTIONS_PER_ADDRESS = 20_000;

export const LOAD_RUN_DEFAULTS = {
  driver: 'ran',
  serverFaults: [] as string[],
  serverArgs: [] as string[],
  reports: ['console'],
  quiet: false,
  metricsHost: '127.0.0.1',
} as const;

export function resolveLoadOptions(input: Partial<LoadOptions>): Readonly<LoadOptions> {
  if (!input.profile)
    throw new UsageError('imspec load needs a profile file, e.g. imspec load profiles/steady-5pct-loss.yaml');
  const options: LoadOptions = {
    profile: input.profile,
    driver: input.driver ?? LOAD_RUN_DEFAULTS.driver,
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    serverFaults: input.serverFaults ?? [],
    serverArgs: input.serverArgs ?? [],
    reports: input.reports?.length ? input.reports : input.quiet ? [] : [...LOAD_RUN_DEFAULTS.reports],
    quiet: input.quiet ?? LOAD_RUN_DEFAULTS.quiet,
    metricsHost: input.metricsHost ?? LOAD_RUN_DEFAULTS.metricsHost,
  };
  for (const key of [
    'target',
    'targetCmd',
    'durationMs',
    'hmacSecret',
    'out',
    'workers',
    'sourceAddresses',
    'metricsPort',
    'pushgateway',
    'servers',
    'ledger',
    'shard',
  ] as const) {
    if (input[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = input[key];
  }
  if (options.shard && input.seed === undefined) {
    throw new UsageError(
      `--shard ${options.shard.index}/${options.shard.count} needs --seed: every shard must draw from the same seed-derived schedule (give all shards the same --seed)`,
    );
  }
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
  for (const f of options.serverFaults) {
    if (!isServerFaultName(f)) {
      throw new UsageError(
        `unknown server fault "${f}"${didYouMean(f, SERVER_FAULT_NAMES) || `; use one of ${SERVER_FAULT_NAMES.join(', ')}`}`,
      );
    }
  }
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 32 - 1) {
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, got ${input.seed}`);
  }
  if (options.durationMs !== undefined && !(options.durationMs > 0)) {
    throw new UsageError(`--duration must be longer than 0, got ${input.durationMs} ms`);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 0)) {
    throw new UsageError(
      `--workers must be an integer ≥ 0 (0 runs the bots in this process), got ${options.workers}`,
    );
  }
  if (options.servers !== undefined && !(Number.isInteger(options.servers) && options.servers >= 1)) {
    throw new UsageError(`--servers must be a positive integer, got ${options.servers}`);
  }
  if (options.servers !== undefined && options.target) {
    throw new UsageError('--servers starts embedded reference servers; drop --target to use it');
  }
  return Object.freeze(options);
}
