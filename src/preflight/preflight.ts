/**
 * Preflight: before a command spends minutes on a target, check it once, fast, and say what is
 * wrong in one message — the URL, a TCP connection, then one login through the driver. Every
 * failure here is the user's configuration (a wrong URL, a stopped server, a wrong secret, the
 * wrong driver for the port), never the server's conformance: it exits 2, said once, instead of
 * the same ERROR for every case, or a FAIL charged to a server that was never reached.
 *
 * The checks read only what every driver records (frames and closes in a History), so a user
 * driver gets the same diagnosis as the built-in ones.
 */

import { connect } from 'node:net';
import type { Driver, SessionInfo } from '../drivers/driver.js';
import {
  AuthError,
  ConfigError,
  isImspecError,
  messageOf,
  TargetUnreachableError,
  UsageError,
} from '../errors.js';
import { History } from '../history/events.js';

/** How long the TCP connect, and then the login, may each take. @default 5000 */
export const PREFLIGHT_TIMEOUT_MS = 5_000;

/** URL schemes the built-in drivers take, and the port each implies when the URL gives none. */
const SCHEMES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  ran: { 'ws:': 80, 'wss:': 443 },
  mqtt: { 'mqtt:': 1883, 'mqtts:': 8883, 'tcp:': 1883, 'ssl:': 8883, 'ws:': 80, 'wss:': 443 },
  xmpp: { 'xmpp:': 5222 },
};

const EXAMPLES: Readonly<Record<string, string>> = {
  ran: 'ws://127.0.0.1:7400',
  mqtt: 'mqtt://127.0.0.1:1883',
  xmpp: 'xmpp://127.0.0.1:5222',
};

/**
 * Checks a target URL's shape for a driver: not empty, a URL, a scheme the driver takes (built-in
 * drivers only; a user driver's scheme is its own business), a host. Throws UsageError.
 */
export function checkTargetUrl(target: string, driverName: string, flag = '--target'): URL {
  const example = EXAMPLES[driverName] ?? 'tcp://127.0.0.1:7500';
  if (target.trim() === '') {
    throw new UsageError(
      `${flag} is empty: give the server's URL, e.g. ${example}` +
        (flag === '--target' ? ', or leave --target out to test the embedded reference server' : ''),
    );
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(
      `${flag} ${JSON.stringify(target)} is not a URL (a port must be 1–65535): expected e.g. ${example}`,
    );
  }
  const schemes = SCHEMES[driverName];
  if (schemes && !(url.protocol in schemes)) {
    throw new UsageError(
      `${flag} ${target}: the ${driverName} driver does not speak ${url.protocol.slice(0, -1)}; ` +
        `expected ${Object.keys(schemes).join('// or ')}// (e.g. ${example})` +
        (driverName === 'ran' ? '; for another protocol choose --driver mqtt | xmpp | ./my-driver.js' : ''),
    );
  }
  if (url.hostname === '') throw new UsageError(`${flag} ${target} names no host: expected e.g. ${example}`);
  if (url.port === '0') throw new UsageError(`${flag} ${target}: port 0 is not a server's port`);
  return url;
}

/**
 * The target a driver will talk to, before anything starts: with no target the kit runs its
 * embedded reference server, which speaks RAN/1 only, so a built-in driver of another protocol
 * needs one; a given target must be a URL the driver takes (checkTargetUrl). A user driver may
 * speak RAN/1 (a variant of the ran driver), so only the built-ins are held to this.
 */
export function checkDriverTarget(target: string | undefined, driverName: string, flag = '--target'): void {
  if (target !== undefined) {
    checkTargetUrl(target, driverName, flag);
    return;
  }
  if (driverName !== 'ran' && driverName in SCHEMES) {
    throw new UsageError(
      `--driver ${driverName} needs ${flag} (e.g. ${EXAMPLES[driverName]}): without it the kit tests its ` +
        'embedded reference server, which speaks RAN/1 only (--driver ran)',
    );
  }
}

export interface PreflightOptions {
  /** The driver, created for `target`. */
  driver: Driver;
  /** Driver name for messages ('ran', 'mqtt', a file). */
  driverName: string;
  target: string;
  /** The account the login uses (with the run's prefix). */
  user: string;
  token: string;
  /** Creates the account first, when the target needs accounts created (XMPP register, a hook). */
  provision?: () => Promise<void>;
  /** Which flag names the target, for messages. @default '--target' */
  flag?: string;
  /** Where the secret comes from, for the hint on a refused login. */
  secretHint?: string;
  /** @default PREFLIGHT_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * The three checks in order. Resolves with what the login said (caps, limits) so the caller need
 * not log in again; rejects with UsageError, TargetUnreachableError, AuthError or the driver's
 * own configuration error — each exits 2.
 */
export async function preflightTarget(options: PreflightOptions): Promise<SessionInfo> {
  const flag = options.flag ?? '--target';
  const timeoutMs = options.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  await checkReachable(options.target, options.driverName, flag, timeoutMs);
  const where = `${flag} ${options.target}`;
  if (options.provision) {
    try {
      await options.provision();
    } catch (error) {
      throw reword(error, `${where}: could not create the probe account ${options.user}`);
    }
  }
  const history = new History();
  let session: Awaited<ReturnType<Driver['connect']>> | undefined;
  try {
    session = await options.driver.connect(
      `${options.user}/preflight`,
      { user: options.user, device: 'preflight', token: options.token, timeoutMs },
      history,
    );
    return session.info;
  } catch (error) {
    throw diagnoseLogin(error, history, {
      where,
      driverName: options.driverName,
      user: options.user,
      secretHint: options.secretHint ?? '--hmac-secret (or IMSPEC_HMAC_SECRET)',
    });
  } finally {
    await session?.close().catch(() => {});
  }
}

/**
 * The URL's shape, then a TCP connection to its host and port (the scheme's default port when it
 * gives none; skipped for a user driver's scheme without a port). Throws UsageError or
 * TargetUnreachableError naming the address tried.
 */
export async function checkReachable(
  target: string,
  driverName: string,
  flag = '--target',
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<void> {
  const url = checkTargetUrl(target, driverName, flag);
  const port = Number(url.port) || SCHEMES[driverName]?.[url.protocol];
  if (port === undefined) return;
  const tcp = await tcpReach(url.hostname.replace(/^\[|\]$/g, ''), port, timeoutMs);
  if (tcp !== 'ok') {
    throw new TargetUnreachableError(
      `${flag} ${target}: ${tcp} (tried a TCP connection to ${url.hostname}:${port}). ` +
        'Is the server running, and is the host and port right?',
    );
  }
}

/** A TCP connection attempt: 'ok', or what went wrong in words. */
export function tcpReach(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer to a TCP connection within ${timeoutMs} ms (a firewall dropping packets?)`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(
        err.code === 'ECONNREFUSED'
          ? 'connection refused: nothing listens there'
          : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
            ? `host ${host} not found`
            : `${err.code ?? 'error'}: ${err.message}`,
      );
    });
  });
}

interface LoginContext {
  where: string;
  driverName: string;
  user: string;
  secretHint: string;
}

/** The client's own frame-size limit (ws's default maxPayload), for the 1009 message. */
const CLIENT_MAX_FRAME = '100 MiB';

/** Turns a failed first login into one message that says what the server did. */
export function diagnoseLogin(error: unknown, history: History, ctx: LoginContext): Error {
  const { where, driverName } = ctx;
  if (error instanceof AuthError) {
    return new AuthError(
      `${where}: the server refused the login of ${ctx.user} (${error.message}). ` +
        `Check ${ctx.secretHint}: it must be the secret (or password) the server accepts.`,
      { cause: error },
    );
  }
  const frames = history.events.filter((e) => e.kind === 'frame' && e.dir === 'in');
  const invalid = frames.find((e) => e.kind === 'frame' && e.invalid !== undefined);
  if (invalid && invalid.kind === 'frame') {
    return new TargetUnreachableError(
      `${where}: the server sent frames the ${driverName} driver cannot read — ${invalid.invalid} ` +
        `(first: ${excerpt(invalid.raw)}). Is this a ${protocolName(driverName)} server? ` +
        'Choose the driver that speaks its protocol with --driver.',
      { cause: error },
    );
  }
  const close = history.events.find((e) => e.kind === 'close');
  if (close && close.kind === 'close' && close.code === 1009) {
    return new TargetUnreachableError(
      `${where}: the server sent a frame larger than the client's ${CLIENT_MAX_FRAME} limit`,
      { cause: error },
    );
  }
  if (isImspecError(error) && error.code === 'IMSPEC_ERR_TIMEOUT') {
    return new TargetUnreachableError(
      `${where}: connected, but ${frames.length === 0 ? 'no answer' : 'no login answer'} to the ${driverName} login ` +
        `(${error.message}). Is this a ${protocolName(driverName)} server, and is it overloaded?`,
      { cause: error },
    );
  }
  if (isImspecError(error) && error.code === 'IMSPEC_ERR_CONFIG') return error;
  const message = messageOf(error);
  return new TargetUnreachableError(
    `${where}: the ${driverName} login failed: ${message}` +
      (/unexpected server response|parse error|invalid|handshake/i.test(message)
        ? ` — is this a ${protocolName(driverName)} server?`
        : ''),
    { cause: error },
  );
}

function reword(error: unknown, prefix: string): Error {
  if (isImspecError(error)) return new ConfigError(`${prefix}: ${error.message}`, { cause: error });
  return new ConfigError(`${prefix}: ${messageOf(error)}`);
}

function protocolName(driverName: string): string {
  return driverName === 'ran'
    ? 'RAN/1 (WebSocket)'
    : driverName === 'mqtt'
      ? 'MQTT'
      : driverName === 'xmpp'
        ? 'XMPP'
        : driverName;
}

/** A short, printable excerpt of a raw frame (binary garbage must not reach the terminal raw). */
function excerpt(raw: string): string {
  const flat = raw.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 60)}…` : flat);
}
