/**
 * What the coordinator and a worker tell each other (in-process calls, or IPC messages between
 * processes — so everything here is plain JSON).
 */

import type { EvidencedFinding, LedgerCounters } from '../../checker/ledger-contract.js';
import type { TargetEvent } from '../../history/events.js';
import { LOAD_DROP_REASONS } from '../../metrics/definitions.js';
import type { Cap } from '../../protocol/frames.js';
import type { Unreachable } from '../bot/load-bot.js';
import type { KitDelay } from '../kit-delay.js';
import type { GroupPlan } from '../population.js';
import type { LoadProfile } from '../profile/types.js';
import type { Slice } from '../schedule.js';

export interface WorkerPlan {
  /** Worker number and count (within this run or shard). */
  index: number;
  workers: number;
  /** The arrivals this worker offers: i ≡ slice.index (mod slice.count). */
  slice: Slice;
  profile: LoadProfile;
  groups: GroupPlan[];
  /** Target URLs; group g talks to targets[g.index % targets.length]. */
  targets: string[];
  driver: string;
  /** Tokens are HMAC(secret, user), as the reference server derives them. */
  secret: string;
  seed: number;
  /** Local addresses the bots' sockets bind to, dealt round-robin; empty: the OS's choice. */
  sourceAddresses: string[];
  /** Capabilities the target claims (the ledger drops findings against unclaimed ones). */
  caps: Cap[];
  /** Connections per second this worker opens. */
  connectRate: number;
  /** Feed the metric table from the history. */
  metrics: { scenario: string; driver: string; suite: string } | undefined;
}

/** Why a scheduled send was dropped; the metric table's label values are the one list. */
export type DropReason = (typeof LOAD_DROP_REASONS)[number];
export const DROP_REASONS: readonly DropReason[] = LOAD_DROP_REASONS;

/** Zero drops for every reason. */
export function noDrops(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

/** Live figures of one worker, cheap to take every second. */
export interface WorkerSnapshot {
  index: number;
  /** History time (ms since the schedule began). */
  t: number;
  offered: number;
  dropped: Record<DropReason, number>;
  /** Messages in their senders' windows: sent and unsettled, or queued in a disconnected bot. */
  window: number;
  /** Of `window`, the sends queued in disconnected bots: not on the wire yet, so not in flight. */
  queued: number;
  connected: number;
  bots: number;
  counters: LedgerCounters;
  /** p99s (ms) of the latency figures so far, for the progress line. */
  p99: { msgA: number; delivery: number };
  /** The histograms so far (compressed base64), for abort-on-fail latency thresholds. */
  histograms: Record<string, string>;
  /** The worker's metric registry as prom-client JSON (child processes only). */
  metrics?: unknown;
}

export interface ReadyInfo {
  index: number;
  bots: number;
  connected: number;
  /** First connect attempts that failed (those bots keep retrying). */
  failed: number;
  /** Sending bots connected when the logins ended (none: every send would be dropped). */
  sendersConnected: number;
  /** Receiving devices connected when the logins ended (none: nothing could be delivered). */
  receiversConnected: number;
  /** Why the first failed login failed, in words. */
  connectError?: string;
  ms: number;
}

/** A worker's contribution to the run's result: counters add, histograms merge exactly. */
export interface WorkerResult {
  index: number;
  offered: number;
  dropped: Record<DropReason, number>;
  counters: LedgerCounters;
  findings: EvidencedFinding[];
  /** figure → HdrHistogram compressed base64. */
  histograms: Record<string, string>;
  /** History time the last send was due, and the time the ledger was finished. */
  endT: number;
  /** Messages still in flight when the drain ran out. */
  unsettled: number;
  faultsInjected: number;
  /** Times a receiving device went offline on the profile's schedule. */
  offlineDepartures: number;
  bots: number;
  connectFailures: number;
  /** Bots that meant to be online at the end of the drain and whose logins kept failing. */
  unreachable?: Unreachable;
  /** The worker's metric registry at the end, as prom-client JSON (child processes only). */
  metrics?: unknown;
  /** How late the worker's own event loop ran from the start to the end of the drain. */
  kitDelay?: KitDelay;
}

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'plan'; plan: WorkerPlan }
  | { type: 'start'; epochMs: number }
  | { type: 'target'; event: Omit<TargetEvent, 't' | 'kind'> }
  | { type: 'stop-sending' }
  | { type: 'snapshot'; id: number }
  | { type: 'finish' };

/** Worker → coordinator. */
export type FromWorker =
  | { type: 'ready'; info: ReadyInfo }
  | { type: 'snapshot'; id: number; snapshot: WorkerSnapshot }
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; message: string; code?: string };
