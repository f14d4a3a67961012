/**
 * The YAML form of a scenario as schemas/scenario.schema.json admits it: what resolve.ts reads
 * once the schema and semantic checks passed. Keep in step with the schema.
 */

import type { Cap } from '../protocol/frames.js';
import type { Level } from '../protocol/requirements.js';

/** "250ms", "2s", "1.5s", "1m", or integer milliseconds. */
export type RawDuration = string | number;
/** One bot ref or a list of them. */
export type RawBots = string | string[];

export interface RawScenario {
  id: string;
  title: string;
  description?: string;
  covers: string[];
  severity?: Level;
  requires?: Cap[];
  timeout?: RawDuration;
  users: Record<string, string | string[]>;
  client?: RawClient;
  steps: RawStep[];
  expect?: RawExpect;
  preconditions?: RawPrecondition[];
  /** Fault rules, each as schemas/faults.schema.json admits it (resolved by src/faults). */
  faults?: unknown[];
}

/** One key: `accepted` or `acceptedOffline`, with "all" or a count. */
export type RawPrecondition = { accepted: 'all' | number } | { acceptedOffline: 'all' | number };

export interface RawClient {
  retransmit?: RawDuration;
  backoff?: number;
  maxRetransmit?: RawDuration;
  maxAttempts?: number;
  ackDelay?: RawDuration;
  pageSize?: number;
  requestTimeout?: RawDuration;
  storedStopsRetransmit?: boolean;
  reconnectDelay?: RawDuration;
}

export interface RawExpect {
  exactlyOnce?: boolean;
  allAccepted?: boolean;
  receipt?: 'none' | 'any' | 'delivered';
  standinWithin?: RawDuration;
  ackLatencyP99?: RawDuration;
  deliveryLatencyP99?: RawDuration;
  maxRetransmitRatio?: number;
  maxWireDuplicates?: number;
}

export type RawCondition = 'accepted' | 'receipted' | 'delivered' | 'committed' | 'settled' | 'quiet';
export type RawTargetAction = 'kill' | 'restart' | 'term' | 'pause' | 'resume';

/** Each step is a mapping with exactly one of these keys. */
export interface RawStepForms {
  connect: RawBots | { bots: RawBots; state?: 'keep' | 'none' | 'server' };
  disconnect: RawBots | { bots: RawBots; mode?: 'clean' | 'crash' };
  crash: RawBots;
  send: {
    from: string;
    to: string;
    count?: number;
    rate?: number;
    size?: number;
    text?: 'ascii' | 'unicode';
    cmids?: string;
    await?: 'none' | 'accepted' | 'receipted' | 'delivered';
  };
  wait: RawDuration;
  waitFor: RawCondition | { condition: RawCondition; timeout?: RawDuration; quiet?: RawDuration };
  target: RawTargetAction | { action: RawTargetAction; restart?: boolean };
  misbehave: {
    bots: RawBots;
    crashBeforeCommit?: number;
    crashInSync?: number;
    withholdAcks?: boolean;
    delayAcks?: RawDuration;
    loseState?: boolean;
    noRetransmit?: boolean;
    loseAccepts?: number;
    loseReceipts?: number;
    losePushes?: number;
  };
  behave: RawBots;
  page: { bot: string; direction?: 'forward' | 'backward'; limit?: number; pages?: number };
  raw: {
    bot: string;
    send: string | Record<string, unknown>;
    beforeHello?: boolean;
    requirement?: string;
    expect: RawAnswer;
  };
  probe: {
    user: string;
    device?: string;
    login?: 'valid' | 'wrong' | 'none';
    requirement?: string;
    exchange: RawExchange[];
  };
  expectSession: { bot: string; pending?: number; maxSeq?: number; requirement?: string };
  expectClosed: { bot: string; code: number; requirement?: string };
}

/** What an answer must look like: its type, a close code, and members by dotted path. */
export interface RawAnswer {
  type: string;
  closeCode?: number;
  [field: string]: unknown;
}

export interface RawExchange {
  send?: string | Record<string, unknown>;
  binary?: boolean;
  expect?: RawAnswer;
  capture?: Record<string, string>;
  requirement?: string;
  timeout?: string | number;
}

export type RawStepOp = keyof RawStepForms;
export type RawStep = { [K in RawStepOp]: { [P in K]: RawStepForms[K] } }[RawStepOp];
