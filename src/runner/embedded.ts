/**
 * The embedded reference server: `imspec serve` as a child process on a fresh database, so a
 * crash case can SIGKILL it and restart it on the same file.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_DIR_PREFIX } from '../cli/parent.js';
import { trackDir, untrackDir } from './leftovers.js';
import { cliPath } from './paths.js';
import { ProcessTarget, type Target } from './target.js';

export interface EmbeddedOptions {
  /** HMAC secret the server derives tokens from (the kit derives the same tokens). */
  secret: string;
  /** Deliberate defects to switch on (`imspec serve --fault`). */
  faults: readonly string[];
  /** Extra `imspec serve` arguments (e.g. ['--repush-ms', '500']); they win over `timers`. */
  extraArgs?: readonly string[];
  /**
   * Keep the server's own hello timeout instead of the kit's short one (load runs: thousands
   * of logins at once on a busy machine can take longer than the suite's 2 s). @default false
   */
  serverHelloTimeout?: boolean;
  /**
   * Server timers to run with. hello:A advertises them, so cases read them from there and never
   * repeat them. @default { helloTimeoutMs: 2000 } (a short hello timeout keeps the AUTH-4 case fast)
   */
  timers?: EmbeddedTimers;
  /** Ends a start still in progress (Ctrl-C): see ProcessTargetOptions.signal. */
  signal?: AbortSignal;
}

/** The server timers a kit run may shorten: the `imspec serve` flags that set them. */
export interface EmbeddedTimers {
  helloTimeoutMs?: number;
  repushMs?: number;
}

const TIMER_FLAGS: Readonly<Record<keyof EmbeddedTimers, string>> = {
  helloTimeoutMs: '--hello-timeout-ms',
  repushMs: '--repush-ms',
};

const DEFAULT_TIMERS: EmbeddedTimers = { helloTimeoutMs: 2000 };

export interface EmbeddedTarget extends Target {
  readonly dataDir: string;
  readonly pid: number | undefined;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), EMBEDDED_DIR_PREFIX));
  trackDir(dataDir);
  const args = [
    cliPath(),
    'serve',
    '--port',
    '0',
    '--db',
    join(dataDir, 'imspec.db'),
    '--hmac-secret',
    options.secret,
    '--quiet',
    // It exits with this process, however this one dies, and removes dataDir then (src/cli/parent.ts).
    '--embedded',
    ...Object.entries(options.timers ?? DEFAULT_TIMERS)
      .filter(([name]) => !(options.serverHelloTimeout && name === 'helloTimeoutMs'))
      .flatMap(([name, ms]) => [TIMER_FLAGS[name as keyof EmbeddedTimers], String(ms)]),
    ...options.faults.flatMap((f) => ['--fault', f]),
    ...(options.extraArgs ?? []),
  ];
  let target: ProcessTarget;
  try {
    target = await ProcessTarget.start({
      command: process.execPath,
      args,
      shell: false,
      url: { fromStdout: true },
      ipc: true,
      pinPort: (a, port) => a.map((v, i) => (a[i - 1] === '--port' ? String(port) : v)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    // A start that failed leaves no temp directory behind.
    rmSync(dataDir, { recursive: true, force: true });
    untrackDir(dataDir);
    throw error;
  }
  const stop = target.stop.bind(target);
  return Object.assign(target, {
    dataDir,
    stop: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      untrackDir(dataDir);
    },
  });
}
