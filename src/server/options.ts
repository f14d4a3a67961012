/**
 * Reference server options: user options in, checked, defaulted and frozen resolved options out.
 * Every default lives in SERVER_DEFAULTS below (and the protocol limits come from docs/protocol.md
 * "Default limits of the reference server"). Unknown keys are refused with a hint, so a typo never
 * silently runs a server with a default the caller did not mean.
 */

import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { MAX_DURATION_MS } from '../faults/duration.js';
import { editDistance } from '../hints.js';
import type { Limits } from '../protocol/frames.js';
import { isServerFaultName, SERVER_FAULT_NAMES, type ServerFaultName } from './faults.js';

/** Options of {@link startServer}. Every member is optional. */
export interface ServerOptions {
  /** Interface to listen on. Loopback by default: the reference server is a test target. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `RunningServer.port`). @default 7400 */
  port?: number;
  /** SQLite database file; created when missing. @default a fresh file `os.tmpdir()/imspec-server-<pid>-<time>.db` */
  db?: string;
  /** Static token table, user → token. @default {} */
  tokens?: Record<string, string>;
  /**
   * Shared secret: a user's token is `hmacToken(secret, user)` (src/protocol/auth.ts). When neither
   * `tokens` nor `hmacSecret` is given, a random secret is generated (see `ResolvedServerOptions`).
   * @default undefined
   */
  hmacSecret?: string;
  /** Batch the writes of requests that arrive in one event-loop turn into one transaction. @default true */
  groupCommit?: boolean;
  /** Deliberate defects to turn on (src/server/faults.ts, docs/server.md). @default [] */
  faults?: readonly ServerFaultName[];
  /** Called with one line per notable server event (internal errors). @default undefined (silent) */
  log?: (line: string) => void;
  /** limits.maxFrameBytes: larger WebSocket messages close the connection with 1009 (FRAME-5). @default 65536 */
  maxFrameBytes?: number;
  /** limits.maxBodyBytes: a longer msg:R body is refused with too-large (FRAME-6). @default 16384 */
  maxBodyBytes?: number;
  /** limits.syncLimitMax: most messages in one sync page (SYNC-5). @default 200 */
  syncLimitMax?: number;
  /** limits.pushWindow: at most this many pending messages are pushed after hello (REPUSH-2, SYNC-6). @default 100 */
  pushWindow?: number;
  /** limits.repushMs: an unacked push is sent again after this long (REPUSH-1). @default 2000 */
  repushMs?: number;
  /** limits.dedupWindowMs: a repeated (sender, cmid) within this long is a duplicate (DEDUP-1). @default 86400000 */
  dedupWindowMs?: number;
  /** limits.helloTimeoutMs: a connection with no hello:R by then is closed with 4408 (AUTH-4). @default 10000 */
  helloTimeoutMs?: number;
  /** limits.idleMs: a connection that sends nothing for this long is closed with 4408 (PING-2). @default 120000 */
  idleMs?: number;
}

export interface ResolvedAuth {
  readonly tokens: Readonly<Record<string, string>>;
  readonly hmacSecret: string | undefined;
  /** True when no auth option was given and `hmacSecret` was generated (print it). */
  readonly hmacSecretGenerated: boolean;
}

export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly db: string;
  /** True when `db` was generated (a fresh temp file; print it). */
  readonly dbGenerated: boolean;
  readonly auth: ResolvedAuth;
  readonly groupCommit: boolean;
  readonly faults: readonly ServerFaultName[];
  readonly limits: Readonly<Limits>;
  readonly log: ((line: string) => void) | undefined;
}

/** The limits of docs/protocol.md "Default limits of the reference server". */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  syncLimitMax: 200,
  pushWindow: 100,
  repushMs: 2_000,
  dedupWindowMs: 86_400_000,
  helloTimeoutMs: 10_000,
  idleMs: 120_000,
});

export const SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 7400,
  groupCommit: true,
  ...DEFAULT_LIMITS,
});

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * The values each limit may take, the one rule for the options here and `imspec serve`'s flags.
 * 0 is allowed for no push window (always page) and no dedup window (every copy is new). The
 * limits the server arms a timer with stop at MAX_DURATION_MS: Node fires a longer timer at once
 * (so every connection would be closed with 4408 as soon as it opened, or a 1 ms re-arm loop
 * would spin). The dedup window is only compared with timestamps, so it has no such bound.
 */
export const LIMIT_RANGES: Readonly<Record<keyof Limits, readonly [min: number, max: number]>> = {
  maxFrameBytes: [1, Number.MAX_SAFE_INTEGER],
  maxBodyBytes: [1, Number.MAX_SAFE_INTEGER],
  syncLimitMax: [1, Number.MAX_SAFE_INTEGER],
  pushWindow: [0, Number.MAX_SAFE_INTEGER],
  repushMs: [1, MAX_DURATION_MS],
  dedupWindowMs: [0, Number.MAX_SAFE_INTEGER],
  helloTimeoutMs: [1, MAX_DURATION_MS],
  idleMs: [1, MAX_DURATION_MS],
};

/** Why `value` is not a valid value of limit `key`, or undefined when it is. */
export function limitProblem(key: keyof Limits, value: unknown): string | undefined {
  const [min, max] = LIMIT_RANGES[key];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  const why = max === MAX_DURATION_MS ? ' (the longest a Node timer waits)' : '';
  return `must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(value)}`;
}

const KNOWN_KEYS: readonly string[] = [
  'host',
  'port',
  'db',
  'tokens',
  'hmacSecret',
  'groupCommit',
  'faults',
  'log',
  ...LIMIT_KEYS,
];

/** Names people reach for that mean one of ours. */
const ALIASES: Readonly<Record<string, string>> = {
  dbPath: 'db',
  dbFile: 'db',
  database: 'db',
  token: 'tokens',
  secret: 'hmacSecret',
  fault: 'faults',
  noGroupCommit: 'groupCommit',
  limits: 'maxFrameBytes, maxBodyBytes, … (limits are top-level options)',
};

function hintFor(key: string): string {
  const alias = ALIASES[key];
  if (alias) return ` (did you mean ${alias}?)`;
  const lower = key.toLowerCase();
  const close = KNOWN_KEYS.find(
    (k) => k.toLowerCase() === lower || editDistance(k.toLowerCase(), lower) <= 2,
  );
  return close ? ` (did you mean ${close}?)` : ` (known options: ${KNOWN_KEYS.join(', ')})`;
}

function fail(what: string): never {
  throw new ConfigError(`server option ${what}`);
}

function checkInt(key: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkId(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 64) {
    fail(`${what} must be a string of 1 to 64 characters, got ${JSON.stringify(value)}`);
  }
  return value;
}

let lastDbStamp = 0;
/** A fresh database path; the time part is bumped so two servers started in one ms never share a file. */
function freshDbPath(): string {
  lastDbStamp = Math.max(Date.now(), lastDbStamp + 1);
  return join(tmpdir(), `imspec-server-${process.pid}-${lastDbStamp}.db`);
}

function resolveTokens(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('tokens must be an object mapping user to token');
  }
  // A null-prototype copy: a user named "__proto__" or "constructor" is an ordinary key here.
  const out: Record<string, string> = Object.create(null);
  for (const [user, token] of Object.entries(value)) {
    checkId(`tokens: user ${JSON.stringify(user)}`, user);
    if (typeof token !== 'string' || token.length < 1 || token.length > 512) {
      fail(`tokens: the token of user ${JSON.stringify(user)} must be a string of 1 to 512 characters`);
    }
    out[user] = token;
  }
  return Object.freeze(out);
}

/** Checks, defaults and freezes server options. Throws ConfigError with a hint on any bad value. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) fail('object expected');
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) fail(`"${key}" is unknown${hintFor(key)}`);
  }
  const o = options as Record<string, unknown>;
  const host = o['host'] ?? SERVER_DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) fail('host must be a non-empty string');
  const port = checkInt('port', o['port'] ?? SERVER_DEFAULTS.port, 0, 65_535);

  const dbGiven = o['db'];
  if (dbGiven !== undefined && (typeof dbGiven !== 'string' || dbGiven.length === 0)) {
    fail('db must be a non-empty file path');
  }
  const limits = {} as Limits;
  for (const key of LIMIT_KEYS) {
    const value = o[key] ?? DEFAULT_LIMITS[key];
    const problem = limitProblem(key, value);
    if (problem) fail(`${key} ${problem}`);
    limits[key] = value as number;
  }
  const groupCommit = o['groupCommit'] ?? SERVER_DEFAULTS.groupCommit;
  if (typeof groupCommit !== 'boolean') fail('groupCommit must be a boolean');

  const faultsGiven = o['faults'] ?? [];
  if (!Array.isArray(faultsGiven)) fail('faults must be an array of fault names');
  for (const name of faultsGiven) {
    if (typeof name !== 'string' || !isServerFaultName(name)) {
      fail(`faults: unknown fault ${JSON.stringify(name)} (known: ${SERVER_FAULT_NAMES.join(', ')})`);
    }
  }
  const log = o['log'];
  if (log !== undefined && typeof log !== 'function') fail('log must be a function');

  const tokens = resolveTokens(o['tokens']);
  let hmacSecret = o['hmacSecret'];
  if (hmacSecret !== undefined && (typeof hmacSecret !== 'string' || hmacSecret.length === 0)) {
    fail('hmacSecret must be a non-empty string');
  }
  const hmacSecretGenerated = hmacSecret === undefined && Object.keys(tokens).length === 0;
  if (hmacSecretGenerated) hmacSecret = randomBytes(16).toString('hex');

  return Object.freeze({
    host,
    port,
    db: (dbGiven as string | undefined) ?? freshDbPath(),
    dbGenerated: dbGiven === undefined,
    auth: Object.freeze({ tokens, hmacSecret: hmacSecret as string | undefined, hmacSecretGenerated }),
    groupCommit,
    faults: Object.freeze([...new Set(faultsGiven as ServerFaultName[])]),
    limits: Object.freeze(limits),
    log: log as ((line: string) => void) | undefined,
  });
}
