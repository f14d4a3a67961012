/**
 * The load engine's seam to the streaming ledger (src/checker: the case checker's rules applied
 * message by message, settled messages judged and retired, so memory follows messages in flight
 * and not the run's length). The engine owns no delivery rule: it pushes history events in,
 * retires on a clock, reads live counters for progress and metrics, and takes the findings at
 * the end. These types are the contract's shape; the checker's own types replace them when its
 * StreamingLedger lands.
 */

import type { Finding } from '../checker/types.js';
import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import type { Expectations } from '../scenarios/types.js';

/** Live ledger figures; they add up across workers and shards. */
export interface LedgerCounters {
  sent: number;
  accepted: number;
  delivered: number;
  lost: number;
  appDuplicates: number;
  wireDuplicates: number;
  unknownOutcome: number;
  recovered: number;
  retransmits: number;
  seqGaps: number;
  inFlight: number;
}

export const LEDGER_COUNTERS: readonly (keyof LedgerCounters)[] = [
  'sent',
  'accepted',
  'delivered',
  'lost',
  'appDuplicates',
  'wireDuplicates',
  'unknownOutcome',
  'recovered',
  'retransmits',
  'seqGaps',
  'inFlight',
];

/** The three latency figures the ledger times (from the actual send; the sink adds lateness). */
export type LedgerLatency = 'msg_a' | 'ack_n' | 'delivery';

export interface LatencySink {
  /** `scheduledDelayMs`: how late the send started against its schedule (load runs). */
  record(figure: LedgerLatency, ms: number, scheduledDelayMs?: number): void;
}

/** A finding with copies of the events that prove it (no history is kept to index into). */
export interface EvidencedFinding extends Omit<Finding, 'evidence'> {
  events: HistoryEvent[];
}

export interface StreamResult {
  findings: EvidencedFinding[];
  stats: LedgerCounters;
}

export interface LedgerContext {
  expect: Expectations;
  covers: string[];
  users: Record<string, string[]>;
  caps: Cap[];
  graceMs?: number;
  maxFindingsPerRule?: number;
  evidencePerFinding?: number;
  latency?: LatencySink;
}

export interface StreamLedger {
  push(event: HistoryEvent): void;
  retire(now: number): void;
  counters(): LedgerCounters;
  finish(endT: number): StreamResult;
}

export type LedgerFactory = (ctx: LedgerContext) => StreamLedger;

export function zeroCounters(): LedgerCounters {
  return {
    sent: 0,
    accepted: 0,
    delivered: 0,
    lost: 0,
    appDuplicates: 0,
    wireDuplicates: 0,
    unknownOutcome: 0,
    recovered: 0,
    retransmits: 0,
    seqGaps: 0,
    inFlight: 0,
  };
}

export function addCounters(into: LedgerCounters, from: Partial<LedgerCounters>): LedgerCounters {
  for (const key of LEDGER_COUNTERS) into[key] += from[key] ?? 0;
  return into;
}
