/**
 * Options of `imspec certify`, resolved once: user options in, checked, defaulted and frozen out.
 * Every default lives here. docs/certify.md explains each.
 */

import { UsageError } from '../errors.js';
import { RUN_DEFAULTS } from '../runner/options.js';

export interface CertifyOptions {
  /** Driver that speaks the server's protocol: mqtt, xmpp, ran. */
  driver: string;
  /** Where the server listens (everything the driver needs to know is in the URL). */
  target: string;
  /**
   * Shell command that starts the server in the foreground at `target`, on data kept between
   * starts: the kit kills and restarts it for crash cases (docs/certify.md, "Launch scripts").
   */
  targetCmd: string;
  /** The server's name and version, as the document's title. @default '<driver> server' */
  name: string;
  /** Files the document shows as the server's configuration (read after the run). @default [] */
  configFiles: string[];
  /** Suites (files or directories) to run. @default the shipped core, servers and faults suites */
  suites: string[];
  /** Case ids or globs to run; empty runs all. @default [] */
  only: string[];
  /** Known deviations (docs/reports.md): they become XFAIL. */
  expectFailures?: string;
  /** Write an expected-failures file drafted from this run, for a person to review. */
  draftExpectations?: string;
  /** Readings file (docs/certifications/readings.yaml form). */
  readings?: string;
  /** Where the certification documents are written. @default 'reports/certification' */
  outDir: string;
  /** Shell command whose first output line is the server's version, shown in the title. */
  versionCmd?: string;
  /** The server's log file, read after the run for `logCounts`. */
  logFile?: string;
  /** Log lines worth counting in the document: label → regular expression. @default {} */
  logCounts: Record<string, string>;
  /** How long a start of the server may take, in ms. @default 15000 (RUN_DEFAULTS.startTimeoutMs) */
  startTimeoutMs: number;
  /** `--provision-cmd` of `imspec run`: creates one account (docs/certify.md, "Accounts"). */
  provisionCmd?: string;
  /** Per-case deadline override in ms. */
  timeoutMs?: number;
  /** Seed for every random choice; recorded in the document. @default random */
  seed: number;
  /** HMAC secret for the users' tokens (passwords). @default IMSPEC_HMAC_SECRET, else random */
  hmacSecret?: string;
  /**
   * Text the document shows instead of run-specific text, e.g. a temp dir or a free port replaced
   * by the values of the reproduce command (`npm run certify` uses it). Programmatic only.
   * @default {}
   */
  display: Record<string, string>;
}

/** The suites a certification runs unless told otherwise: everything shipped but the examples. */
export const CERTIFY_SUITES: readonly string[] = Object.freeze([
  'suites/core',
  'suites/servers',
  'suites/faults',
]);

export const CERTIFY_DEFAULTS = Object.freeze({
  outDir: 'reports/certification',
  startTimeoutMs: RUN_DEFAULTS.startTimeoutMs,
});

export function resolveCertifyOptions(input: Partial<CertifyOptions>): Readonly<CertifyOptions> {
  const missing = (['driver', 'target', 'targetCmd'] as const).filter((k) => !input[k]);
  if (missing.length > 0) {
    const flags = { driver: '--driver NAME', target: '--target URL', targetCmd: "--target-cmd 'exec …'" };
    throw new UsageError(
      `imspec certify needs ${missing.map((k) => flags[k]).join(', ')}: the kit starts the server itself, ` +
        'so crash cases can kill and restart it (docs/certify.md)',
    );
  }
  const options: CertifyOptions = {
    driver: input.driver!,
    target: input.target!,
    targetCmd: input.targetCmd!,
    name: input.name?.trim() || `${input.driver} server`,
    configFiles: input.configFiles ?? [],
    suites: input.suites?.length ? input.suites : [...CERTIFY_SUITES],
    only: input.only ?? [],
    outDir: input.outDir ?? CERTIFY_DEFAULTS.outDir,
    logCounts: input.logCounts ?? {},
    startTimeoutMs: input.startTimeoutMs ?? CERTIFY_DEFAULTS.startTimeoutMs,
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    display: input.display ?? {},
  };
  for (const key of [
    'expectFailures',
    'draftExpectations',
    'readings',
    'versionCmd',
    'logFile',
    'provisionCmd',
    'timeoutMs',
    'hmacSecret',
  ] as const) {
    if (input[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = input[key];
  }
  if (slugOf(options.name) === '') {
    throw new UsageError(`--name "${options.name}" has no letters or digits to name the document by`);
  }
  if (Object.keys(options.logCounts).length > 0 && !options.logFile) {
    throw new UsageError('--log-count needs --log FILE: the server log whose lines it counts');
  }
  for (const [label, pattern] of Object.entries(options.logCounts)) {
    try {
      new RegExp(pattern);
    } catch (err) {
      throw new UsageError(`--log-count "${label}": ${(err as Error).message}`);
    }
  }
  if (options.draftExpectations !== undefined && options.draftExpectations === options.expectFailures) {
    throw new UsageError(
      '--draft-expectations must not overwrite --expect-failures: write the draft elsewhere and review it',
    );
  }
  return Object.freeze(options);
}

/** The file and readings name of a certification: "Mosquitto 2.0" → "mosquitto-2.0". */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}
