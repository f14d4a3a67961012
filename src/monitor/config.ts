/**
 * The monitor's config file (YAML): target, accounts, timing. Checked, defaulted and frozen
 * once. Credentials never live in the file: each account names the environment variable that
 * holds its token (`tokenEnv`), and a `token:` key is refused, so a config can be committed.
 *
 * ```yaml
 * target: wss://chat.example.com/ran
 * driver: ran
 * interval: 30s
 * timeout: 10s
 * accounts:
 *   - { user: probe-a, device: monitor, tokenEnv: IMSPEC_PROBE_A_TOKEN }
 *   - { user: probe-b, device: monitor, tokenEnv: IMSPEC_PROBE_B_TOKEN }
 * canary: { size: 2048, text: unicode }   # optional: bodies that show cut or re-encoded text
 * ```
 */

import { dirname, isAbsolute, resolve } from 'node:path';
import { isDriverPath } from '../drivers/load.js';
import { ConfigError } from '../errors.js';
import { MAX_DURATION_MS, tooLongMessage } from '../faults/duration.js';
import { isTargetName, TARGET_NAME_HINT, targetLabel } from '../metrics/target.js';
import { formatIssue } from '../scenarios/loader.js';
import { problemIssue, readYamlFile } from '../scenarios/yaml-limits.js';
import { parseYaml } from '../scenarios/yaml-source.js';

export interface MonitorAccount {
  user: string;
  device: string;
  /** From the environment variable named by `tokenEnv` in the file. */
  token: string;
  tokenEnv: string;
}

/** Resolved, frozen monitor settings. Durations in ms. */
export interface MonitorConfig {
  target: string;
  /** @default 'ran' */
  driver: string;
  /** Time between the starts of two probe cycles. @default 30000 */
  intervalMs: number;
  /** A canary not receipted and committed within this long of its send fails the cycle. @default 10000 */
  timeoutMs: number;
  /** Resend a canary's msg:R (same cmid) when no msg:A or ack:N came within this long. @default 1000 */
  retransmitMs: number;
  /** First reconnect delay after the target dropped or refused us; doubles per failure. @default 200 */
  reconnectMinMs: number;
  /** Upper bound of the reconnect delay. @default 30000 */
  reconnectMaxMs: number;
  /** Two or more accounts; each ordered pair exchanges one canary per cycle. */
  accounts: readonly MonitorAccount[];
  /** `scenario` label of the monitor's series. @default 'monitor' */
  scenario: string;
  /** `suite` label of the monitor's series. @default 'monitor' */
  suite: string;
  /**
   * `target` label of every series of the monitor (key `targetName`): which server it watches.
   * @default host:port of `target`
   */
  targetName: string;
  /** /metrics address. @default { host: '127.0.0.1', port: 9464 } */
  metrics: { host: string; port: number };
  /**
   * The canary's body: its cmid, then filler up to `size` UTF-8 bytes — ASCII, or 2-, 3- and
   * 4-byte characters (`unicode`). A body past a narrow column or with emoji lets the always-on
   * rules catch a server that cuts or re-encodes bodies (SEQ-3). @default { size: 0, text: 'ascii' } (the cmid alone)
   */
  canary: { size: number; text: 'ascii' | 'unicode' };
}

export const MONITOR_DEFAULTS = {
  driver: 'ran',
  intervalMs: 30_000,
  timeoutMs: 10_000,
  retransmitMs: 1_000,
  reconnectMinMs: 200,
  reconnectMaxMs: 30_000,
  scenario: 'monitor',
  suite: 'monitor',
  metrics: { host: '127.0.0.1', port: 9464 },
  canary: { size: 0, text: 'ascii' },
} as const;

/** Largest canary body: well under every server's frame limit (the reference server's is 64 KiB). */
export const MAX_CANARY_BYTES = 16_384;

const TOP_KEYS = [
  'target',
  'driver',
  'interval',
  'timeout',
  'retransmit',
  'reconnectMin',
  'reconnectMax',
  'accounts',
  'scenario',
  'suite',
  'targetName',
  'metrics',
  'canary',
] as const;
const ACCOUNT_KEYS = ['user', 'device', 'tokenEnv'] as const;

/** "250ms", "10s", "2m", or integer milliseconds. */
export function parseDuration(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (value > MAX_DURATION_MS) throw new ConfigError(`${where}: ${tooLongMessage(value)}`);
    return value;
  }
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(value.trim()) : null;
  if (!m) throw new ConfigError(`${where}: "${String(value)}" is not a duration: use e.g. 250ms, 10s, 2m`);
  const scale = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(Number(m[1]) * scale);
  if (ms > MAX_DURATION_MS) throw new ConfigError(`${where}: ${tooLongMessage(value)}`);
  return ms;
}

/** Resolves a parsed config object. `env` supplies the tokens. `where(path)` locates a key for messages. */
export function resolveMonitorConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
  where: (path: (string | number)[]) => string = (p) => p.join('.') || 'config',
): MonitorConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where([])}: the monitor config must be a mapping with target and accounts`);
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${where([key])}: unknown key "${key}": expected one of ${TOP_KEYS.join(', ')}`);
    }
  }
  // Any scheme: the driver (built-in or a user's) checks its own target URL.
  if (typeof o['target'] !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(o['target'])) {
    throw new ConfigError(`${where(['target'])}: target must be a URL such as ws://127.0.0.1:7400`);
  }
  const accountsRaw = o['accounts'];
  if (!Array.isArray(accountsRaw) || accountsRaw.length < 2) {
    throw new ConfigError(`${where(['accounts'])}: give two or more accounts: canaries go between them`);
  }
  const accounts = accountsRaw.map((a, i): MonitorAccount => {
    const path = ['accounts', i];
    if (typeof a !== 'object' || a === null) throw new ConfigError(`${where(path)}: an account is a mapping`);
    const acc = a as Record<string, unknown>;
    if ('token' in acc || 'password' in acc) {
      throw new ConfigError(
        `${where([...path, 'token' in acc ? 'token' : 'password'])}: credentials never go in the file: name an environment variable with tokenEnv`,
      );
    }
    for (const key of Object.keys(acc)) {
      if (!(ACCOUNT_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError(
          `${where([...path, key])}: unknown key "${key}": expected ${ACCOUNT_KEYS.join(', ')}`,
        );
      }
    }
    const { user, device = 'monitor', tokenEnv } = acc;
    if (typeof user !== 'string' || user === '')
      throw new ConfigError(`${where([...path, 'user'])}: user is required`);
    if (typeof device !== 'string' || device === '')
      throw new ConfigError(`${where([...path, 'device'])}: device must be a string`);
    if (typeof tokenEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) {
      throw new ConfigError(`${where([...path, 'tokenEnv'])}: tokenEnv must name an environment variable`);
    }
    const token = env[tokenEnv];
    if (token === undefined || token === '') {
      throw new ConfigError(
        `${where([...path, 'tokenEnv'])}: environment variable ${tokenEnv} (token of ${user}) is not set`,
      );
    }
    return Object.freeze({ user, device, token, tokenEnv });
  });
  const users = new Set(accounts.map((a) => a.user));
  if (users.size !== accounts.length) {
    throw new ConfigError(
      `${where(['accounts'])}: each account needs its own user (canaries are addressed to users)`,
    );
  }
  const duration = (key: string, fallback: number) =>
    o[key] === undefined ? fallback : parseDuration(o[key], where([key]));
  const metricsRaw = (o['metrics'] ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(metricsRaw)) {
    if (key !== 'host' && key !== 'port')
      throw new ConfigError(`${where(['metrics', key])}: expected host or port`);
  }
  const port = metricsRaw['port'] ?? MONITOR_DEFAULTS.metrics.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${where(['metrics', 'port'])}: port must be 0..65535`);
  }
  const label = (key: 'scenario' | 'suite') => {
    const v = o[key] ?? MONITOR_DEFAULTS[key];
    if (typeof v !== 'string' || !/^[\w.-]+$/.test(v))
      throw new ConfigError(`${where([key])}: use letters, digits, . _ -`);
    return v;
  };
  const targetName = o['targetName'];
  if (targetName !== undefined && (typeof targetName !== 'string' || !isTargetName(targetName))) {
    throw new ConfigError(`${where(['targetName'])}: ${TARGET_NAME_HINT}`);
  }
  const canaryRaw = (o['canary'] ?? {}) as Record<string, unknown>;
  if (typeof canaryRaw !== 'object' || canaryRaw === null || Array.isArray(canaryRaw))
    throw new ConfigError(`${where(['canary'])}: canary is a mapping { size, text }`);
  for (const key of Object.keys(canaryRaw)) {
    if (key !== 'size' && key !== 'text')
      throw new ConfigError(`${where(['canary', key])}: unknown key "${key}": expected size or text`);
  }
  const size = canaryRaw['size'] ?? MONITOR_DEFAULTS.canary.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_CANARY_BYTES) {
    throw new ConfigError(
      `${where(['canary', 'size'])}: size is an integer from 0 to ${MAX_CANARY_BYTES} (bytes)`,
    );
  }
  const text = canaryRaw['text'] ?? MONITOR_DEFAULTS.canary.text;
  if (text !== 'ascii' && text !== 'unicode')
    throw new ConfigError(`${where(['canary', 'text'])}: text is ascii or unicode`);
  const config: MonitorConfig = {
    target: o['target'],
    targetName: targetLabel(o['target'], targetName),
    driver: typeof o['driver'] === 'string' ? o['driver'] : MONITOR_DEFAULTS.driver,
    intervalMs: duration('interval', MONITOR_DEFAULTS.intervalMs),
    timeoutMs: duration('timeout', MONITOR_DEFAULTS.timeoutMs),
    retransmitMs: duration('retransmit', MONITOR_DEFAULTS.retransmitMs),
    reconnectMinMs: duration('reconnectMin', MONITOR_DEFAULTS.reconnectMinMs),
    reconnectMaxMs: duration('reconnectMax', MONITOR_DEFAULTS.reconnectMaxMs),
    accounts: Object.freeze(accounts),
    scenario: label('scenario'),
    suite: label('suite'),
    metrics: Object.freeze({ host: String(metricsRaw['host'] ?? MONITOR_DEFAULTS.metrics.host), port }),
    canary: Object.freeze({ size, text }),
  };
  if (config.timeoutMs <= 0) throw new ConfigError(`${where(['timeout'])}: timeout must be above 0`);
  if (config.retransmitMs <= 0) throw new ConfigError(`${where(['retransmit'])}: retransmit must be above 0`);
  return Object.freeze(config);
}

/** Reads and resolves a config file; errors name file:line:col of the offending key. */
export function loadMonitorConfig(file: string, env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  let read: ReturnType<typeof readYamlFile>;
  try {
    read = readYamlFile(file);
  } catch (err) {
    throw new ConfigError(`cannot read monitor config ${file}: ${(err as Error).message}`, { cause: err });
  }
  if ('problem' in read) throw new ConfigError(formatIssue(problemIssue(file, read.problem)));
  // The same bounded parser as scenarios: size, depth, one document, aliases measured.
  const source = parseYaml(read.text, file);
  const syntax = source.syntaxErrors[0];
  if (syntax) {
    const { line, col } = syntax.loc;
    throw new ConfigError(`${file}:${line}:${col}: not valid YAML: ${syntax.message.split('\n')[0]}`);
  }
  // Keys, not values: a config error is about the option the author wrote.
  const where = (path: (string | number)[]): string => {
    const { line, col } = source.locate(path, typeof path[path.length - 1] === 'string');
    return `${file}:${line}:${col}`;
  };
  const config = resolveMonitorConfig(source.data, env, where);
  // A driver file named in the config is found relative to the config, wherever imspec runs.
  if (!isDriverPath(config.driver) || isAbsolute(config.driver)) return config;
  return Object.freeze({ ...config, driver: resolve(dirname(file), config.driver) });
}
