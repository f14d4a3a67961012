/**
 * Runs a real Mosquitto broker (Debian's /usr/sbin/mosquitto, 2.0.x) for tests: a temp config
 * bound to 127.0.0.1 on a free port, a fresh persistence dir per run, readiness taken from the
 * broker's own "running" log line, and stop by pid (waiting for the exit before the port or the
 * data dir is reused). Never a system service.
 *
 * Gotchas this helper makes explicit (docs/drivers.md, "mqtt"):
 * - `max_queued_messages` (default 1000) bounds the QoS 1/2 queue of an offline or slow
 *   persistent session; messages past it are dropped silently (one log line). Set it per test.
 * - `persistence true` snapshots the in-memory database on shutdown and every
 *   `autosave_interval` seconds, not per message: a SIGKILL loses what arrived since the last save.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface MosquittoOptions {
  /** Per-session queue bound for QoS 1/2 messages while the client is offline or slow. @default 1000 */
  maxQueuedMessages?: number;
  /** Seconds between database snapshots (persistence is snapshot-based). @default 1800 */
  autosaveInterval?: number;
  /** user → password. When given, anonymous clients are refused. @default anonymous access */
  users?: Record<string, string>;
  /** Extra lines appended to mosquitto.conf. @default [] */
  extraConfig?: string[];
  /** How long to wait for the "running" log line. @default 10000 */
  startTimeoutMs?: number;
}

export interface MosquittoServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  /** Pid of the running broker (changes on restart). */
  readonly pid: number;
  readonly dataDir: string;
  readonly configFile: string;
  /** Everything the broker logged so far (stdout and stderr). */
  log(): string;
  /** SIGTERM (mosquitto saves its database) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash, nothing saved since the last autosave. */
  kill(): Promise<void>;
  /** Start again on the same port, config and data dir (after stop or kill). */
  start(): Promise<void>;
  /** Stop (if running) and delete the temp dir. Safe to call twice. */
  dispose(): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Spawns a server binary as `account` (when given) that dies with the process that started it.
 * A test that times out or a setup that throws never reaches its dispose(), and vitest ends its
 * workers without an 'exit' event, so the kernel does it: setpriv sets the parent-death signal
 * (after switching user, which would clear it) and execs the binary, so the pid is the server's.
 */
export function spawnServer(
  bin: string,
  args: string[],
  account: { uid: number; gid: number } | undefined,
  cwd?: string,
): ChildProcess {
  const options = {
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  };
  if (!existsSync(SETPRIV)) return spawn(bin, args, { ...options, ...(account ?? {}) });
  const user = account
    ? ['--reuid', String(account.uid), '--regid', String(account.gid), '--clear-groups']
    : [];
  return spawn(SETPRIV, [...user, '--pdeathsig', 'KILL', '--', bin, ...args], options);
}

/**
 * The uid/gid of a service account when we run as root, so the server runs as its own user (as
 * its package intends) rather than as root. Undefined when not root or the account is missing.
 */
export function serviceAccount(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoServer> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(`${MOSQUITTO} is missing: run .ci/run (or apt-get install mosquitto) to install it`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'imspec-mosquitto-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const account = serviceAccount('mosquitto');
  const lines = [
    'per_listener_settings false',
    'persistence true',
    `persistence_location ${dataDir}/`,
    `autosave_interval ${options.autosaveInterval ?? 1800}`,
    `max_queued_messages ${options.maxQueuedMessages ?? 1000}`,
    // stderr: unbuffered, so the "running" line arrives when it is written (stdout to a pipe is block-buffered).
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp false',
  ];
  if (options.users) {
    const passwordFile = join(dir, 'passwd');
    writeFileSync(passwordFile, '');
    for (const [user, password] of Object.entries(options.users)) {
      await promisify(execFile)(MOSQUITTO_PASSWD, ['-b', passwordFile, user, password]);
    }
    if (account) chownSync(passwordFile, account.uid, account.gid);
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  lines.push(...(options.extraConfig ?? []));
  const configFile = join(dir, 'mosquitto.conf');
  if (account) {
    chownSync(dir, account.uid, account.gid);
    chownSync(dataDir, account.uid, account.gid);
  }

  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  const timeoutMs = options.startTimeoutMs ?? 10_000;

  const launch = async (): Promise<void> => {
    // The listener line goes first so a retry with another port rewrites only the file.
    writeFileSync(configFile, [`listener ${port} 127.0.0.1`, ...lines, ''].join('\n'));
    if (account) chownSync(configFile, account.uid, account.gid);
    const proc = spawnServer(MOSQUITTO, ['-c', configFile], account);
    child = proc;
    // Only what this launch printed counts: the log of an earlier run already says "running".
    const from = output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`mosquitto did not report running within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(' running', from)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited (${code ?? signal}) before running:\n${output}`));
      });
    });
  };

  // A port from listen(0) can be taken again before mosquitto binds it: retry with a new one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || !output.includes('Address already in use')) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      output = '';
    }
  }

  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  };

  let disposed = false;
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    dataDir,
    configFile,
    log: () => output,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await launch();
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await waitExit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
