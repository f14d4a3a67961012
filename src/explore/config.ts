/**
 * The explore config (`--config explore.yaml`): weights of the operations the generator draws and
 * the ranges of their parameters. Checked, defaulted and frozen once; a mistake is a ConfigError
 * naming file:line:col (exit 2). Every default lives here, in EXPLORE_DEFAULTS.
 *
 * ```yaml
 * users: { min: 2, max: 4 }
 * weights: { send: 6, fanIn: 1, kill: 0 }   # kill: 0 never kills the server
 * send: { unicode: 0.5, large: 0.3 }
 * ```
 */

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { didYouMean } from '../hints.js';
import { parseDuration } from '../scenarios/duration.js';
import { type Path, parseYaml } from '../scenarios/yaml-source.js';

/** An inclusive integer range. */
export interface Range {
  min: number;
  max: number;
}

/** How often each operation is drawn, relative to the others (0: never). */
export interface Weights {
  /** One sender, one receiver, a few messages. */
  send: number;
  /** Several senders to one receiver at once (cross-sender interleaving, seq races). */
  fanIn: number;
  /** One sender to several receivers at once. */
  fanOut: number;
  /** A device logs in (again), keeping, forgetting or not sending its state. */
  connect: number;
  /** A device closes cleanly. */
  disconnect: number;
  /** A device drops its socket without a close handshake. */
  crash: number;
  /** A device goes away and time passes before anything else happens (long offline periods). */
  offline: number;
  /** A device starts delaying its acks (and a later behave ends it). */
  delayAcks: number;
  /** A device stops acking until the end of the case. */
  withholdAcks: number;
  /** A device pages its inbox explicitly, forward or backward, with any page limit. */
  page: number;
  /** kill -9 of the server, restarted on the same data (only when explore controls the target). */
  kill: number;
  /**
   * A user's older device acks while a sibling that logged in later is online, then reconnects
   * trusting the server's cursor (MDEV-1, ACK-1: the ack moves the acking device's own cursor).
   * Only on targets that claim multi-device and delivered receipts.
   */
  olderDevice: number;
  /** A send answered by msg:A, then kill -9 at once, then more sends (MSG-1, DUR-1, MSG-2). Only with kill -9. */
  ackThenKill: number;
  /**
   * A device logs in trusting the server's cursor after a sibling acked for its user, or after it
   * acked and the server restarted (MDEV-1, DUR-2, ACK-4). Only on targets with delivered receipts.
   */
  serverCursor: number;
  /** A device crashes in the middle of catching up a backlog, then logs in again (SYNC-3, ACK-4). */
  catchUpCrash: number;
  /** A login with a wrong token must be refused (AUTH-2). Only with drivers that send raw frames. */
  badLogin: number;
  /** A socket that never says hello must be closed after the advertised hello timeout (AUTH-4). */
  silentSocket: number;
}

export interface ExploreConfig {
  /** Users per case. @default { min: 2, max: 4 } */
  users: Range;
  /** Devices per user (above 1 only on targets that claim multi-device). @default { min: 1, max: 2 } */
  devices: Range;
  /** Generated operations per case, before the closing steps. @default { min: 3, max: 10 } */
  operations: Range;
  weights: Weights;
  send: {
    /** Messages of an ordinary send. @default { min: 1, max: 10 } */
    count: Range;
    /** Messages of a burst, drawn with probability `burst` (fills offline queues). @default { min: 100, max: 400 } */
    burstCount: Range;
    /** Chance a send is a burst. @default 0.1 */
    burst: number;
    /** Chance the bodies are 2-4 byte UTF-8 characters rather than ASCII. @default 0.3 */
    unicode: number;
    /** Chance the bodies are large: up to the server's advertised maxBodyBytes. @default 0.25 */
    large: number;
    /** Chance the send uses a cmid prefix shared by every sender of the case (cross-user collisions). @default 0.3 */
    sharedCmids: number;
  };
  /** How long an `offline` operation keeps the device away, ms. @default { min: 500, max: 4000 } */
  offlineMs: Range;
  /** The delay of a `delayAcks` operation, ms (above the server's repush timer re-pushes). @default { min: 200, max: 3000 } */
  ackDelayMs: Range;
  /** Page limits of a `page` operation (above the server's syncLimitMax on purpose). @default { min: 1, max: 500 } */
  pageLimit: Range;
  frameFaults: {
    /**
     * Chance a case runs behind the frame-fault proxy, losing or duplicating msg and ack frames
     * (drivers with a frame codec only: RAN/1, a codec driver; never MQTT or XMPP). @default 0.2
     */
    chance: number;
    /** Highest per-frame probability of a generated rule (drawn from 1% up to it). @default 0.1 */
    maxProbability: number;
  };
  /** Deadline of one generated case, ms. @default 30000 */
  caseTimeoutMs: number;
  shrink: {
    /** Case runs one shrink may spend. @default 40 */
    maxRuns: number;
    /** Wall-clock budget of one shrink, ms; no run starts after it. @default 90000 */
    maxMs: number;
  };
  /** Verdicts that count as a finding. @default ['FAIL'] */
  findOn: ('FAIL' | 'WARN')[];
}

export const EXPLORE_DEFAULTS: Readonly<ExploreConfig> = Object.freeze({
  users: { min: 2, max: 4 },
  devices: { min: 1, max: 2 },
  operations: { min: 3, max: 10 },
  weights: {
    send: 6,
    fanIn: 2,
    fanOut: 1,
    connect: 2,
    disconnect: 1,
    crash: 0.5,
    offline: 2,
    delayAcks: 1,
    withholdAcks: 0.5,
    page: 1,
    kill: 0.3,
    olderDevice: 1,
    ackThenKill: 0.5,
    serverCursor: 0.7,
    catchUpCrash: 0.5,
    badLogin: 0.3,
    silentSocket: 0.1,
  },
  send: {
    count: { min: 1, max: 10 },
    burstCount: { min: 100, max: 400 },
    burst: 0.1,
    unicode: 0.3,
    large: 0.25,
    sharedCmids: 0.3,
  },
  offlineMs: { min: 500, max: 4000 },
  ackDelayMs: { min: 200, max: 3000 },
  pageLimit: { min: 1, max: 500 },
  frameFaults: { chance: 0.2, maxProbability: 0.1 },
  caseTimeoutMs: 30_000,
  shrink: { maxRuns: 40, maxMs: 90_000 },
  findOn: ['FAIL'] as ExploreConfig['findOn'],
});

type Kind = 'range' | 'msRange' | 'weight' | 'chance' | 'ms' | 'count' | 'verdicts';

/** The schema: key path → what its value must be. Nested mappings are implied by the paths. */
const SCHEMA: Record<string, Kind> = {
  users: 'range',
  devices: 'range',
  operations: 'range',
  ...Object.fromEntries(Object.keys(EXPLORE_DEFAULTS.weights).map((k) => [`weights.${k}`, 'weight'])),
  'send.count': 'range',
  'send.burstCount': 'range',
  'send.burst': 'chance',
  'send.unicode': 'chance',
  'send.large': 'chance',
  'send.sharedCmids': 'chance',
  offline: 'msRange',
  ackDelay: 'msRange',
  pageLimit: 'range',
  'frameFaults.chance': 'chance',
  'frameFaults.maxProbability': 'chance',
  caseTimeout: 'ms',
  'shrink.maxRuns': 'count',
  'shrink.maxTime': 'ms',
  findOn: 'verdicts',
};

/** YAML key path → the config field it sets (durations lose their unit in the field name). */
const FIELD: Record<string, string> = {
  offline: 'offlineMs',
  ackDelay: 'ackDelayMs',
  caseTimeout: 'caseTimeoutMs',
  'shrink.maxTime': 'shrink.maxMs',
};

/** Reads, checks and resolves `file`; undefined → the defaults. */
export function loadExploreConfig(file: string | undefined): Readonly<ExploreConfig> {
  if (file === undefined) return EXPLORE_DEFAULTS;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read explore config ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseExploreConfig(text, file);
}

export function parseExploreConfig(text: string, file: string): Readonly<ExploreConfig> {
  const source = parseYaml(text, file);
  const first = source.syntaxErrors[0];
  if (first) throw new ConfigError(`${first.loc.file}:${first.loc.line}:${first.loc.col}: ${first.message}`);
  const fail = (path: Path, message: string, atKey = false): never => {
    const loc = source.locate(path, atKey);
    throw new ConfigError(`${loc.file}:${loc.line}:${loc.col}: ${message}`);
  };
  const config = structuredClone(EXPLORE_DEFAULTS) as ExploreConfig;
  if (source.data === null) return Object.freeze(config);
  if (!isObject(source.data))
    return fail([], 'the explore config must be a mapping (see imspec explore --help)');
  walk(source.data, [], (path, value) => {
    const key = path.join('.');
    const kind = SCHEMA[key];
    if (kind === undefined) {
      const nested = Object.keys(SCHEMA).some((k) => k.startsWith(`${key}.`));
      if (nested && isObject(value)) return true;
      // The keys at this level: leaves, and the mappings that hold nested keys (weights, send, …).
      const parent = path.slice(0, -1).join('.');
      const known = [
        ...new Set(
          Object.keys(SCHEMA)
            .filter((k) => parent === '' || k.startsWith(`${parent}.`))
            .map((k) => k.split('.').slice(0, path.length).join('.')),
        ),
      ];
      fail(path, `unknown key "${key}"${didYouMean(key, known)}; known: ${known.join(', ')}`, true);
    }
    set(
      config,
      FIELD[key] ?? key,
      checkValue(kind!, value, (m) => fail(path, `${key}: ${m}`)),
    );
    return false;
  });
  // Every case needs a sender and someone else to receive.
  if (config.users.min < 2) fail(['users', 'min'], 'users: min is at least 2 (a sender and a receiver)');
  if (Object.values(config.weights).every((w) => w === 0))
    fail(
      ['weights'],
      'weights: every weight is 0, so there is nothing to draw; give one a weight above 0',
      true,
    );
  return Object.freeze(config);
}

function checkValue(kind: Kind, value: unknown, fail: (message: string) => never): unknown {
  switch (kind) {
    case 'weight':
      if (typeof value !== 'number' || !(value >= 0)) fail('a weight is a number ≥ 0');
      return value;
    case 'chance':
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail('a chance is a number from 0 to 1');
      return value;
    case 'count':
      if (!Number.isInteger(value) || (value as number) < 1) fail('an integer ≥ 1');
      return value;
    case 'ms':
      return duration(value, fail);
    case 'verdicts': {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || list.some((v) => v !== 'FAIL' && v !== 'WARN'))
        fail('a list of FAIL and WARN');
      return [...new Set(list)];
    }
    default: {
      if (!isObject(value) || Object.keys(value).some((k) => k !== 'min' && k !== 'max')) {
        fail('a mapping { min, max }');
      }
      const r = value as { min?: unknown; max?: unknown };
      const read = (v: unknown) => (kind === 'msRange' ? duration(v, fail) : v);
      const min = read(r.min);
      const max = read(r.max);
      if (
        !Number.isInteger(min) ||
        !Number.isInteger(max) ||
        (min as number) < 1 ||
        (min as number) > (max as number)
      ) {
        fail(
          `min and max are both needed, integers${kind === 'msRange' ? ' or durations' : ''} with 1 ≤ min ≤ max`,
        );
      }
      return { min, max };
    }
  }
}

function duration(value: unknown, fail: (message: string) => never): number {
  try {
    return parseDuration(value as string | number);
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Visits every leaf (and every mapping `visit` declines to enter as a leaf) with its path. */
function walk(
  value: Record<string, unknown>,
  path: string[],
  visit: (path: string[], value: unknown) => boolean,
): void {
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key];
    if (visit(at, child) && isObject(child)) walk(child, at, visit);
  }
}

function set(target: object, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
