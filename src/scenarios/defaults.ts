/**
 * Every default of the scenario YAML, in one place (the schema's `default` annotations and
 * docs/scenarios.md repeat them for authors; test/scenarios/defaults.test.ts keeps the three in step).
 */

import type {
  ClientOptions,
  ConnectStep,
  DisconnectStep,
  Expectations,
  SendStep,
  WaitForStep,
} from './types.js';

/** Client behaviour when `client:` says nothing (see ClientOptions for what each means). */
export const DEFAULT_CLIENT_OPTIONS: Readonly<ClientOptions> = Object.freeze({
  retransmitMs: 1000,
  backoff: 2,
  maxRetransmitMs: 8000,
  maxAttempts: 8,
  ackDelayMs: 0,
  pageSize: 100,
  requestTimeoutMs: 5000,
  storedStopsRetransmit: true,
  reconnectDelayMs: 100,
});

/** Longest wait between reconnection attempts, whatever the backoff says. */
export const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * How long a client waits before its next reconnection attempt, after `failures` failed in a
 * row: `reconnectDelay` first, then doubling from it (from 50 ms at least), at most
 * MAX_RECONNECT_DELAY_MS. The case bots and the load bots both reconnect by it.
 */
export function reconnectBackoffMs(reconnectDelayMs: number, failures: number): number {
  if (failures === 0) return reconnectDelayMs;
  return Math.min(Math.max(reconnectDelayMs, 50) * 2 ** failures, MAX_RECONNECT_DELAY_MS);
}

/** Case-level expectations when `expect:` says nothing: the delivery model's full promise. */
export const DEFAULT_EXPECTATIONS: Readonly<Pick<Expectations, 'exactlyOnce' | 'allAccepted' | 'receipt'>> =
  Object.freeze({
    exactlyOnce: true,
    allAccepted: true,
    receipt: 'delivered',
  });

/** Whole-case deadline. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Step members the YAML may leave out. `page.limit` defaults to the case's `client.pageSize`. */
export const STEP_DEFAULTS = Object.freeze({
  connect: Object.freeze({ state: 'keep' } satisfies Pick<ConnectStep, 'state'>),
  disconnect: Object.freeze({ mode: 'clean' } satisfies Pick<DisconnectStep, 'mode'>),
  send: Object.freeze({ count: 1, rate: 0, size: 32, text: 'ascii', await: 'none' } satisfies Pick<
    SendStep,
    'count' | 'rate' | 'size' | 'text' | 'await'
  >),
  waitFor: Object.freeze({ timeoutMs: 10_000, quietMs: 300 } satisfies Pick<
    WaitForStep,
    'timeoutMs' | 'quietMs'
  >),
  page: Object.freeze({ direction: 'forward', pages: 0 } as const),
  raw: Object.freeze({ beforeHello: false }),
  /** A probe speaks as this device of its user unless `user: alice/laptop` names one. */
  probe: Object.freeze({ device: 'probe', login: 'valid', binary: false } as const),
  /** kill restarts the target at once unless told not to; term stops it for good unless told to restart. */
  targetRestart: Object.freeze({ kill: true, restart: true, term: false, pause: false, resume: false }),
});
