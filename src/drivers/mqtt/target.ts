/**
 * The MQTT target config: `mqtt://host:port?version=5&qos=1&cmid=payload&sessionExpiry=3600`.
 * Everything the driver needs to know about the broker is in the URL, so `--target` alone
 * reproduces a run; credentials are not (each user's password is ConnectOptions.token).
 * Resolved once, checked, defaulted and frozen; unknown parameters are refused with the list of
 * known ones.
 */

import { ConfigError } from '../../errors.js';

export type MqttVersion = 4 | 5;
export type MqttQos = 1 | 2;
/** Where the cmid travels: a JSON envelope in the payload, or MQTT 5 user properties. */
export type CmidCarrier = 'payload' | 'property';

export interface MqttTargetOptions {
  /** mqtt://host:port (mqtts:// and ws:// work as mqtt.js allows). */
  target: string;
  /** MQTT protocol level: 5, or 4 for 3.1.1. @default 5 */
  version?: MqttVersion;
  /** QoS of every PUBLISH and subscription. @default 1 */
  qos?: MqttQos;
  /** Where the cmid travels; `property` needs MQTT 5. @default 'payload' */
  cmid?: CmidCarrier;
  /**
   * MQTT 5 Session Expiry Interval in seconds: how long the broker keeps an offline device's
   * subscription and queue. Must be > 0 for offline delivery. @default 3600
   */
  sessionExpiry?: number;
  /** Keep Alive in seconds (PINGREQ cadence; the broker drops a silent client after 1.5×). @default 30 */
  keepalive?: number;
  /** Topic prefix: user U's inbox is `<prefix>/U`. @default 'imspec/inbox' */
  topic?: string;
  /**
   * Log in without a user name and password: the broker's anonymous login (RabbitMQ's
   * `mqtt.allow_anonymous`, which authenticates such clients as its default user, while a client
   * that presents credentials must have an account). @default false
   */
  anonymous?: boolean;
}

export interface MqttTarget {
  /** The broker URL without the query string. */
  readonly url: string;
  readonly version: MqttVersion;
  readonly qos: MqttQos;
  readonly cmid: CmidCarrier;
  readonly sessionExpiry: number;
  readonly keepalive: number;
  readonly topic: string;
  readonly anonymous: boolean;
}

export const MQTT_TARGET_DEFAULTS = Object.freeze({
  version: 5 as MqttVersion,
  qos: 1 as MqttQos,
  cmid: 'payload' as CmidCarrier,
  sessionExpiry: 3600,
  keepalive: 30,
  topic: 'imspec/inbox',
  anonymous: false,
});

const KNOWN = ['version', 'qos', 'cmid', 'sessionExpiry', 'keepalive', 'topic', 'anonymous'] as const;

function bad(target: string, what: string): ConfigError {
  return new ConfigError(`MQTT target ${target}: ${what}`);
}

function integer(target: string, name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw bad(target, `${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/**
 * Resolves the target URL (query parameters) and explicit options (which win) into a frozen
 * config. Throws ConfigError naming the bad parameter.
 */
export function resolveMqttTarget(options: MqttTargetOptions): MqttTarget {
  let url: URL;
  try {
    url = new URL(options.target);
  } catch {
    throw bad(options.target, 'not a URL; expected mqtt://host:port');
  }
  if (!/^(mqtts?|wss?|tcp|ssl):$/.test(url.protocol)) {
    throw bad(options.target, `scheme ${url.protocol} is not MQTT; expected mqtt://host:port`);
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw bad(options.target, `unknown parameter "${key}"; known: ${KNOWN.join(', ')}`);
    }
    query[key] = value;
  }
  const t = options.target;
  let version = options.version ?? MQTT_TARGET_DEFAULTS.version;
  if (options.version === undefined && query.version !== undefined) {
    if (query.version === '5') version = 5;
    else if (query.version === '4' || query.version === '3.1.1') version = 4;
    else throw bad(t, `version must be 5 or 3.1.1, got "${query.version}"`);
  }
  let qos = options.qos ?? MQTT_TARGET_DEFAULTS.qos;
  if (options.qos === undefined && query.qos !== undefined) {
    if (query.qos === '1' || query.qos === '2') qos = Number(query.qos) as MqttQos;
    // QoS 0 has no PUBACK, so there would be no msg:A at all.
    else throw bad(t, `qos must be 1 or 2, got "${query.qos}"`);
  }
  let cmid = options.cmid ?? MQTT_TARGET_DEFAULTS.cmid;
  if (options.cmid === undefined && query.cmid !== undefined) {
    if (query.cmid === 'payload' || query.cmid === 'property') cmid = query.cmid;
    else throw bad(t, `cmid must be payload or property, got "${query.cmid}"`);
  }
  if (cmid === 'property' && version !== 5) {
    throw bad(t, 'cmid=property needs MQTT 5 user properties; use version=5 or cmid=payload');
  }
  const sessionExpiry =
    options.sessionExpiry ??
    (query.sessionExpiry !== undefined
      ? integer(t, 'sessionExpiry', query.sessionExpiry, 1)
      : MQTT_TARGET_DEFAULTS.sessionExpiry);
  if (sessionExpiry < 1) throw bad(t, 'sessionExpiry must be ≥ 1: 0 ends the session at disconnect');
  const keepalive =
    options.keepalive ??
    (query.keepalive !== undefined
      ? integer(t, 'keepalive', query.keepalive, 0)
      : MQTT_TARGET_DEFAULTS.keepalive);
  const topic = (options.topic ?? query.topic ?? MQTT_TARGET_DEFAULTS.topic).replace(/\/+$/, '');
  if (topic === '' || /[+#]/.test(topic)) throw bad(t, `topic "${topic}" must be non-empty without + or #`);
  let anonymous = options.anonymous ?? MQTT_TARGET_DEFAULTS.anonymous;
  if (options.anonymous === undefined && query.anonymous !== undefined) {
    if (query.anonymous === '1' || query.anonymous === 'true') anonymous = true;
    else if (query.anonymous === '0' || query.anonymous === 'false') anonymous = false;
    else throw bad(t, `anonymous must be 1 or 0, got "${query.anonymous}"`);
  }
  url.search = '';
  return Object.freeze({
    url: url.toString().replace(/\/$/, ''),
    version,
    qos,
    cmid,
    sessionExpiry,
    keepalive,
    topic,
    anonymous,
  });
}

/** The CONNECT credentials: the user and its token (its password), or none for an anonymous login. */
export function credentials(
  target: Pick<MqttTarget, 'anonymous'>,
  account: { user: string; token: string },
): { username?: string; password?: string } {
  return target.anonymous ? {} : { username: account.user, password: account.token };
}
