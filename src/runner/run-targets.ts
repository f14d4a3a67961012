/**
 * Which target each case of a run talks to.
 *
 * - `--target` (with or without `--target-cmd`): every case, on the one server, users kept apart
 *   by a per-case prefix.
 * - No `--target`: the kit's own reference server. Cases that need no process control share one
 *   embedded server for the whole run, kept apart by the same per-case prefix as a `--target` run
 *   (spawning and stopping a server per case cost 0.33–0.43 s each, a third of the core suite).
 *   Cases that kill, stop or restart the server (`target` steps) get a fresh one of their own, so
 *   a crash case never takes another case's inboxes down with it and starts from an empty store;
 *   so do cases with proxy fault rules (see `sharedFor`).
 */

import { ConfigError, messageOf } from '../errors.js';
import type { Scenario } from '../scenarios/types.js';
import { type EmbeddedTarget, type EmbeddedTimers, startEmbedded } from './embedded.js';
import type { RunOptions } from './options.js';
import { ExternalTarget, ProcessTarget, StartAbortedError, type Target } from './target.js';

/**
 * The embedded server's timers in a suite run. The cases that sit on them (re-push, hello timeout,
 * per-sender-order's wait for a re-push that must not come) read them from hello:A, so shorter
 * timers make the suite faster without any case repeating the value. Not shorter: a re-push
 * interval under a second re-pushes messages that a loaded machine is merely slow to ack, and
 * burst-exactly-once allows no wire duplicate; a hello timeout under a second may close a bot
 * whose hello a busy event loop sent late.
 */
export const SUITE_TIMERS: Readonly<EmbeddedTimers> = Object.freeze({ helloTimeoutMs: 1000, repushMs: 1000 });

export interface CaseTarget {
  target: Target;
  /** True when other cases use it too: users carry a prefix, a crash is restarted before the next case. */
  shared: boolean;
}

export class RunTargets {
  #options: Readonly<RunOptions>;
  #secret: string;
  #signal: AbortSignal | undefined;
  /** The `--target` server. */
  #user: Target | undefined;
  /** The run's shared embedded server, started when the first case asks for it. */
  #embedded: Promise<EmbeddedTarget> | undefined;
  /** A fresh server started while the case before the one that needs it runs (`prepare`). */
  #spare: Promise<EmbeddedTarget> | undefined;
  /** Fresh servers given back, stopping in the background while the next case runs. */
  #stopping = new Set<Promise<void>>();
  #stopped = false;

  private constructor(
    options: Readonly<RunOptions>,
    secret: string,
    user: Target | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.#options = options;
    this.#secret = secret;
    this.#user = user;
    this.#signal = signal;
  }

  /**
   * Starts the `--target-cmd` server (or names the external one); the embedded one starts on first
   * use. `signal` (the run's interrupt) ends any start still waiting for its server.
   */
  static async open(
    options: Readonly<RunOptions>,
    secret: string,
    signal?: AbortSignal,
  ): Promise<RunTargets> {
    return new RunTargets(options, secret, await startUserTarget(options, signal), signal);
  }

  /** The `--target` server, when the user gave one (the run preflights it). */
  get user(): Target | undefined {
    return this.#user;
  }

  /**
   * Whether `scenario` runs on a target other cases share (and so needs a user prefix). On the
   * embedded server, a case with proxy fault rules gets a fresh one too: `--case-seed` replays its
   * fault schedule frame for frame only on a server whose ids and users no earlier case moved.
   */
  sharedFor(scenario: Scenario): boolean {
    return this.#user !== undefined || (!scenario.needsTargetControl && scenario.faults.length === 0);
  }

  /**
   * The user prefix of one run of a case: the run id on a `--target` (its inboxes outlive the run),
   * a short one on the run's own embedded server (fresh per run, so the case index is unique).
   */
  prefixFor(scenario: Scenario, runId: string, index: number, repetition: number): string {
    if (!this.sharedFor(scenario)) return '';
    return this.#user ? `${runId}-${index}-${repetition}-` : `c${index}-${repetition}-`;
  }

  /**
   * Called once a case has its target, with the case that comes next: when that one needs a fresh
   * server, it starts now, so its start (a third of a second or more: a Node process, SQLite, a listening
   * socket) overlaps the case that runs instead of adding to the suite's time.
   */
  prepare(next: Scenario | undefined): void {
    if (next === undefined || this.sharedFor(next) || this.#spare || this.#stopped) return;
    this.#spare = this.#startEmbedded();
    // Awaited by the case that takes it, or stopped unused by stop(); never an unhandled rejection.
    this.#spare.catch(() => {});
  }

  /**
   * The target for one run of `scenario`. A fresh (not shared) one belongs to the caller, who
   * gives it back with `release`; the shared ones are stopped by `stop()`.
   */
  async forCase(scenario: Scenario): Promise<CaseTarget> {
    if (this.#user) return { target: this.#user, shared: true };
    if (!this.sharedFor(scenario)) {
      const spare = this.#spare;
      this.#spare = undefined;
      return { target: await (spare ?? this.#startEmbedded()), shared: false };
    }
    this.#embedded ??= this.#startEmbedded();
    const target = await this.#embedded;
    // An interrupt may have stopped the run while the server was starting.
    if (this.#stopped) await target.stop();
    return { target, shared: true };
  }

  /** Stops a fresh server in the background (the next case need not wait for it); `stop()` waits. */
  release(target: Target): void {
    const stopping = target.stop().catch(() => {});
    this.#stopping.add(stopping);
    void stopping.then(() => this.#stopping.delete(stopping));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const started = [this.#embedded, this.#spare].map((p) => p?.then((t) => t.stop()).catch(() => {}));
    await Promise.allSettled([this.#user?.stop(), ...started, ...this.#stopping]);
  }

  #startEmbedded(): Promise<EmbeddedTarget> {
    return startEmbedded({
      secret: this.#secret,
      faults: this.#options.serverFaults,
      extraArgs: this.#options.serverArgs,
      timers: SUITE_TIMERS,
      ...(this.#signal ? { signal: this.#signal } : {}),
    }).catch((error: unknown) => {
      if (error instanceof StartAbortedError) throw error;
      // The kit's own server failing to start is the kit's configuration (a bad --server-arg),
      // the same for every case: said once, exit 2.
      throw new ConfigError(`the embedded reference server did not start: ${messageOf(error)}`, {
        cause: error,
      });
    });
  }
}

async function startUserTarget(
  options: Readonly<RunOptions>,
  signal: AbortSignal | undefined,
): Promise<Target | undefined> {
  if (!options.target) return undefined;
  if (!options.targetCmd) return new ExternalTarget(options.target);
  return ProcessTarget.start({
    command: options.targetCmd,
    args: [],
    shell: true,
    url: { fixed: options.target },
    startTimeoutMs: options.startTimeoutMs,
    ...(signal ? { signal } : {}),
  });
}
