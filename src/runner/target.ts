/**
 * The target a run talks to, and — when the kit launched it — control over its process: the
 * process faults of the scenario vocabulary (kill -9, SIGTERM + restart, pause/resume). Modelled
 * on Complement, which starts, kills and restarts the homeserver containers it tests.
 *
 * Three kinds:
 * - embedded: the reference server (`imspec serve`) as a child process on a fresh database: one
 *   shared by the cases of a run, and one per case for crash cases, so they can kill it
 *   (run-targets.ts);
 * - command: `--target-cmd '…'` with `--target URL`: any server the kit starts with a shell command
 *   and restarts by running the same command again (so it must keep its data between runs);
 * - external: `--target URL` only; process faults are unavailable (those cases are UNSUPPORTED).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { ConfigError, TargetExitedError, TargetUnreachableError, TimeoutError } from '../errors.js';
import { pausedGroup, startReaper, trackGroup, untrackGroup } from './leftovers.js';

export type TargetAction = 'kill' | 'restart' | 'term' | 'pause' | 'resume';

export interface Target {
  /** Where bots connect. Stable across restarts. */
  readonly url: string;
  /** True when the kit controls the process (process faults possible). */
  readonly controllable: boolean;
  /** Kill -9 / SIGTERM / SIGSTOP / SIGCONT, and restart on the same data when asked. */
  act(action: TargetAction, restart: boolean): Promise<void>;
  /** Stop for good (graceful, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /**
   * Output the process wrote (a bounded tail), for reports; with `since` (a `logMark()`), only
   * what it wrote after that mark.
   */
  logTail(since?: number): string;
  /** How much output (characters) the process has written so far, to cut a case's part of the log. */
  logMark(): number;
  /**
   * Called when the process exits without being told to (a crash of the target under test).
   * Returns a function that removes the listener (a shared target outlives each case).
   */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): () => void;
  /**
   * Starts the process again when it is not running (it crashed in an earlier case, or a case
   * killed it without a restart), so one crash does not turn every later case into an ERROR.
   * Resolves true when it started it; false when it was running or was stopped for good.
   */
  ensureRunning(): Promise<boolean>;
}

export interface ProcessTargetOptions {
  /** Executable and arguments (embedded), or a shell command line (command). */
  command: string;
  args: string[];
  shell: boolean;
  /**
   * How to learn the URL: read it from the first stdout line matching /ws:\/\/\S+/ (embedded),
   * or a fixed URL whose port is polled until it accepts connections (command).
   */
  url: { fromStdout: true } | { fixed: string };
  /** After the first start, rewrite args so a restart reuses the port (embedded: --port N). */
  pinPort?: (args: string[], port: number) => string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Open an IPC channel to the child, which it watches to exit when this process dies, even by
   * SIGKILL (the kit's own `imspec serve`: src/cli/parent.ts). Not for --target-cmd: a user's
   * command knows nothing of the channel. @default false
   */
  ipc?: boolean;
  /** How long a start may take. @default 15000 (RUN_DEFAULTS.startTimeoutMs) */
  startTimeoutMs?: number;
  /**
   * Ends a start that is still waiting for the target (Ctrl-C): its process group is killed and the
   * start rejects with a StartAbortedError at once, rather than after the whole start timeout.
   */
  signal?: AbortSignal;
}

/** A start given up because the run was interrupted (the caller exits with the signal's code). */
export class StartAbortedError extends Error {
  override readonly name = 'StartAbortedError';
  constructor(reason: unknown) {
    super(`interrupted by ${String(reason ?? 'abort')} while the target was starting`);
  }
}

const LOG_TAIL_BYTES = 16_384;

export class ProcessTarget implements Target {
  readonly controllable = true;
  #url = '';
  #child: ChildProcess | undefined;
  #args: string[];
  #log = '';
  /** Characters of output seen since the first start; `#log` holds the last LOG_TAIL_BYTES of them. */
  #logBytes = 0;
  #expectedExit = false;
  #stopped = false;
  #exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];

  private constructor(private readonly options: ProcessTargetOptions) {
    this.#args = [...options.args];
  }

  static async start(options: ProcessTargetOptions): Promise<ProcessTarget> {
    const target = new ProcessTarget(options);
    await target.#spawn();
    return target;
  }

  get url(): string {
    return this.#url;
  }

  /** The process id while it runs (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  logTail(since?: number): string {
    if (since === undefined) return this.#log;
    const wanted = this.#logBytes - since;
    return wanted <= 0 ? '' : this.#log.slice(-wanted);
  }

  logMark(): number {
    return this.#logBytes;
  }

  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): () => void {
    this.#exitListeners.push(listener);
    return () => {
      this.#exitListeners = this.#exitListeners.filter((l) => l !== listener);
    };
  }

  async ensureRunning(): Promise<boolean> {
    if (this.#child || this.#stopped) return false;
    await this.#spawn();
    return true;
  }

  async act(action: TargetAction, restart: boolean): Promise<void> {
    switch (action) {
      case 'kill':
        await this.#signalAndWait('SIGKILL');
        if (restart) await this.#spawn();
        return;
      case 'term':
        await this.#signalAndWait('SIGTERM');
        if (restart) await this.#spawn();
        return;
      case 'restart':
        if (this.#child) await this.#signalAndWait('SIGTERM');
        await this.#spawn();
        return;
      case 'pause':
        if (this.options.ipc && this.#child?.pid !== undefined) pausedGroup(this.#child.pid);
        this.#child?.kill('SIGSTOP');
        return;
      case 'resume':
        this.#child?.kill('SIGCONT');
        return;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#child) return;
    // A paused process cannot handle SIGTERM; wake it first.
    this.#child.kill('SIGCONT');
    const exited = this.#signalAndWait('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), 5_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async #signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#child = undefined;
      return;
    }
    this.#expectedExit = true;
    const exited = once(child, 'exit');
    // Kill the whole process group: a --target-cmd shell may have children of its own.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
    await exited;
    this.#child = undefined;
    // A --target-cmd shell may exit before the server it started has let go of its port (no
    // `exec`): wait for the port to close, so a restart never races the old server for it.
    if ('fixed' in this.options.url) await waitForPortClosed(this.#url, 5_000);
  }

  async #spawn(): Promise<void> {
    const { command, shell, env } = this.options;
    if (this.options.signal?.aborted) throw new StartAbortedError(this.options.signal.reason);
    this.#expectedExit = false;
    if ('fixed' in this.options.url) await refuseTakenPort(this.options.url.fixed);
    // A child with the channel stops itself when the kit dies; a user's command is reaped.
    if (!this.options.ipc) startReaper();
    const child = spawn(command, this.#args, {
      shell,
      detached: true, // own process group, so signals reach the whole tree
      stdio: ['ignore', 'pipe', 'pipe', ...(this.options.ipc ? ['ipc' as const] : [])],
      env: env ?? process.env,
    });
    // Nothing is sent on the channel: it must not keep this process alive.
    child.channel?.unref();
    this.#child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      trackGroup(pid, !this.options.ipc);
      child.once('exit', () => untrackGroup(pid));
    }
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.#logBytes += text.length;
      this.#log = (this.#log + text).slice(-LOG_TAIL_BYTES);
    };
    child.stderr?.on('data', append);
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      if (!this.#expectedExit) for (const l of this.#exitListeners) l(code, signal);
    });
    const timeoutMs = this.options.startTimeoutMs ?? 15_000;
    const { url, signal } = this.options;
    const log = () => this.#log;
    try {
      if ('fixed' in url) {
        child.stdout?.on('data', append);
        await waitForPort(url.fixed, timeoutMs, child, log, signal);
        this.#url = url.fixed;
        return;
      }
      this.#url = await readUrlFromStdout(child, timeoutMs, append, log, signal);
    } catch (error) {
      // A start that never became ready, or was interrupted, must not outlive the kit (nor keep its
      // pipes open): the whole group goes, a --target-cmd shell's children too.
      this.#expectedExit = true;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = once(child, 'exit');
        process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
      this.#child = undefined;
      throw error;
    }
    if (this.options.pinPort) {
      this.#args = this.options.pinPort(this.#args, Number(new URL(this.#url).port));
    }
  }
}

/** A target the kit does not control. */
export class ExternalTarget implements Target {
  readonly controllable = false;
  constructor(readonly url: string) {}
  async act(action: TargetAction): Promise<void> {
    throw new TargetUnreachableError(
      `cannot ${action} ${this.url}: the kit did not launch it (use --target-cmd to let imspec start it)`,
    );
  }
  async stop(): Promise<void> {}
  logTail(): string {
    return '';
  }
  logMark(): number {
    return 0;
  }
  onUnexpectedExit(): () => void {
    return () => {};
  }
  async ensureRunning(): Promise<boolean> {
    return false;
  }
}

function readUrlFromStdout(
  child: ChildProcess,
  timeoutMs: number,
  append: (chunk: Buffer) => void,
  log: () => string,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new TimeoutError(`target did not report its address within ${timeoutMs} ms\n${log()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      append(chunk);
      buffered += chunk.toString('utf8');
      const m = /ws:\/\/[^\s]+/.exec(buffered);
      if (m) {
        cleanup();
        resolve(m[0]);
      }
    };
    const onExit = (code: number | null, exitSignal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new TargetExitedError(`target exited during start (code ${code}, signal ${exitSignal})\n${log()}`),
      );
    };
    const onAbort = () => {
      cleanup();
      reject(new StartAbortedError(signal?.reason));
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining stdout so a chatty server never blocks on a full pipe.
      child.stdout?.on('data', append);
    };
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function waitForPort(
  url: string,
  timeoutMs: number,
  child: ChildProcess,
  log: () => string,
  signal: AbortSignal | undefined,
) {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (signal?.aborted) throw new StartAbortedError(signal.reason);
    // Read off the child, not an 'exit' listener: a command that exited before this loop began
    // is seen too, and the message says how it ended.
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode !== null ? `on signal ${child.signalCode}` : `with code ${child.exitCode}`;
      throw new TargetExitedError(
        `target command exited ${how} before ${url} accepted connections\n${log()}`,
      );
    }
    if (await canConnect(hostname, Number(port))) return;
    if (Date.now() > deadline) {
      throw new TimeoutError(`${url} did not accept connections within ${timeoutMs} ms\n${log()}`);
    }
    await sleep(delay, signal);
  }
}

/** Waits `ms`, or less when `signal` aborts meanwhile (the caller checks it). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function waitForPortClosed(url: string, timeoutMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await canConnect(hostname, Number(port)))) {
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A --target-cmd whose port something else already holds: the new server cannot bind it (or
 * races it), and the readiness wait would be satisfied by the other one — every case would then
 * run against a server the kit did not start, and its exit blamed on the target (FRAME-8).
 */
async function refuseTakenPort(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  if (await canConnect(hostname, Number(port))) {
    throw new ConfigError(
      `something already accepts connections at ${url} before --target-cmd started: the command's server would race it for the port, and the kit would test the other one; stop it, or give --target a free port`,
    );
  }
}

/** True when something accepts TCP connections at host:port. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
