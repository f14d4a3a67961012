/**
 * The XMPP target config: `xmpp://host:port?domain=localhost&sasl=PLAIN`. The URL alone
 * reproduces a run; each user's password is ConnectOptions.token. Resolved once, checked,
 * defaulted and frozen; unknown parameters are refused with the list of known ones.
 */

import { ConfigError } from '../../errors.js';

/** SASL mechanisms the driver can pick. */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-1';

export interface XmppTargetOptions {
  /** xmpp://host:port of the server's c2s listener (no TLS: loopback or a trusted network). */
  target: string;
  /** The XMPP domain users live in (user U is U@domain). @default the URL's host, or 'localhost' for an IP */
  domain?: string;
  /**
   * SASL mechanism. PLAIN sends the password in the clear (base64) and costs one round trip;
   * SCRAM-SHA-1 never sends it, but xmpp.js computes it in ~1 s per login here.
   * @default 'PLAIN'
   */
  sasl?: SaslMechanism;
  /**
   * How long xmpp.js waits for an answer to its XEP-0198 <r/> before dropping the connection,
   * in ms (xmpp.js's own default). A throttled server can trip it and lose the session.
   * @default 60000
   */
  smTimeout?: number;
  /**
   * Create each user's account by XEP-0077 in-band registration before its first login (for
   * runs with fresh users per case; the server must allow registration). @default false
   */
  register?: boolean;
}

export interface XmppTarget {
  /** xmpp://host:port without the query string. */
  readonly url: string;
  readonly domain: string;
  readonly sasl: SaslMechanism;
  readonly smTimeout: number;
  readonly register: boolean;
}

export const XMPP_TARGET_DEFAULTS = Object.freeze({
  sasl: 'PLAIN' as SaslMechanism,
  smTimeout: 60_000,
  register: false,
});

const KNOWN = ['domain', 'sasl', 'smTimeout', 'register'] as const;

function bad(target: string, what: string): ConfigError {
  return new ConfigError(`XMPP target ${target}: ${what}`);
}

/**
 * Resolves the target URL (query parameters) and explicit options (which win) into a frozen
 * config. Throws ConfigError naming the bad parameter.
 */
export function resolveXmppTarget(options: XmppTargetOptions): XmppTarget {
  let url: URL;
  try {
    url = new URL(options.target);
  } catch {
    throw bad(options.target, 'not a URL; expected xmpp://host:port');
  }
  if (url.protocol !== 'xmpp:')
    throw bad(options.target, `scheme ${url.protocol} is not xmpp:; expected xmpp://host:port`);
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw bad(options.target, `unknown parameter "${key}"; known: ${KNOWN.join(', ')}`);
    }
    query[key] = value;
  }
  const t = options.target;
  const host = url.hostname;
  const isIp = /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[');
  const domain = options.domain ?? query.domain ?? (isIp ? 'localhost' : host);
  if (domain === '') throw bad(t, 'domain must not be empty');
  const sasl = options.sasl ?? (query.sasl as SaslMechanism | undefined) ?? XMPP_TARGET_DEFAULTS.sasl;
  if (sasl !== 'PLAIN' && sasl !== 'SCRAM-SHA-1')
    throw bad(t, `sasl must be PLAIN or SCRAM-SHA-1, got "${sasl}"`);
  let smTimeout = options.smTimeout ?? XMPP_TARGET_DEFAULTS.smTimeout;
  if (options.smTimeout === undefined && query.smTimeout !== undefined) {
    smTimeout = Number(query.smTimeout);
    if (!Number.isInteger(smTimeout) || smTimeout < 1) {
      throw bad(t, `smTimeout must be a positive integer (ms), got "${query.smTimeout}"`);
    }
  }
  let register = options.register ?? XMPP_TARGET_DEFAULTS.register;
  if (options.register === undefined && query.register !== undefined) {
    if (query.register === '1' || query.register === 'true') register = true;
    else if (query.register === '0' || query.register === 'false') register = false;
    else throw bad(t, `register must be 1 or 0, got "${query.register}"`);
  }
  if (!url.port) throw bad(t, 'give the port explicitly (xmpp://host:5222)');
  return Object.freeze({ url: `xmpp://${url.host}`, domain, sasl, smTimeout, register });
}
