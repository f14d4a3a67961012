/**
 * The resolved load profile: what a YAML file under profiles/ becomes after schema checking
 * (schemas/load.schema.json) and defaulting (defaults.ts). Frozen; the engine interprets it.
 * docs/load.md is the author's guide. Durations are milliseconds here.
 */

import type { FaultRule } from '../../faults/types.js';
import type { ClientOptions } from '../../scenarios/types.js';

export type Pairing = 'pairs' | 'fanout' | 'random';

export interface OfflineSchedule {
  /** Share of receiving devices that go offline, 0–1. */
  share: number;
  /** Each goes offline once per this period, at its own phase. */
  everyMs: number;
  /** And stays offline this long. */
  forMs: number;
}

export interface Population {
  /** Users that send. */
  senders: number;
  /** @default 'pairs' */
  pairing: Pairing;
  /** Receivers per sender with `fanout`. @default 4 */
  fanout: number;
  /** Users per group with `random`. @default 10 */
  groupSize: number;
  /** Devices per receiving user. @default 1 */
  devices: number;
  /** Connections opened per second before the first send. @default 2000 */
  connectRate: number;
  offline: OfflineSchedule | undefined;
}

export interface Stage {
  /** Rate at the end of the stage, messages per second. */
  target: number;
  durationMs: number;
}

/**
 * Open-model executors (k6's constant-arrival-rate and ramping-arrival-rate): the clock schedules
 * sends; a constant executor is one flat stage.
 */
export type Executor =
  | { type: 'constant-arrival-rate'; rate: number; durationMs: number }
  | { type: 'ramping-arrival-rate'; startRate: number; stages: readonly Stage[] };

export type ProcessAction = 'kill' | 'term' | 'restart' | 'pause';

/** One action on the target process at a time since the run began. */
export interface ProcessFault {
  atMs: number;
  action: ProcessAction;
  /** kill/term: start again on the same data. @default true */
  restart: boolean;
  /** kill/term: how long the target stays down before the restart. @default 0 */
  afterMs: number;
  /** pause: how long it stays stopped. */
  forMs: number;
}

/** Figures a threshold can name (docs/load.md lists what each means). */
export const THRESHOLD_FIGURES = [
  'sent',
  'accepted',
  'delivered',
  'lost',
  'duplicates.app',
  'duplicates.wire',
  'unknown_outcome',
  'retransmits',
  'retransmit_rate',
  'dropped',
  'dropped_rate',
  'seq_gaps',
  'findings',
  'ack_latency.msg_a',
  'ack_latency.ack_n',
  'delivery_latency',
  'ack_latency.msg_a.scheduled',
  'ack_latency.ack_n.scheduled',
  'delivery_latency.scheduled',
] as const;
export type ThresholdFigure = (typeof THRESHOLD_FIGURES)[number];

/** Latency figures take an aggregation (p(N), max, min, mean); the others are plain numbers. */
export type Aggregation = { kind: 'p'; p: number } | { kind: 'max' } | { kind: 'min' } | { kind: 'mean' };
export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  figure: ThresholdFigure;
  /** The expression as written, e.g. "p(99) < 200ms". */
  source: string;
  /** Set for latency figures. */
  aggregation: Aggregation | undefined;
  op: Comparison;
  /** Milliseconds for latency figures; a plain number otherwise. */
  value: number;
  /** @default false */
  abortOnFail: boolean;
}

export interface LoadProfile {
  name: string;
  description: string;
  population: Population;
  executor: Executor;
  /** Total scheduled time of the executor. */
  durationMs: number;
  /** Body size in bytes. @default 32 */
  messageSize: number;
  /** The same client options, and defaults, as scenarios. */
  client: Readonly<ClientOptions>;
  /** Per-sender in-flight window. @default 64 */
  window: number;
  faults: readonly FaultRule[];
  process: readonly ProcessFault[];
  thresholds: readonly Threshold[];
  /** @default 10000 */
  drainMs: number;
  /** The file it came from. */
  file: string;
  /** Hash of the file's text: results of one profile merge only with results of the same text. */
  hash: string;
}
