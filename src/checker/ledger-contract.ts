/**
 * The streaming ledger's contract (StreamingLedger, streaming.ts, fulfils it): the case checker's
 * rules applied message by message, settled messages judged and retired, so memory follows
 * messages in flight and not the run's length. A user (the load engine) owns no delivery rule: it
 * pushes history events in, retires on a clock, reads live counters for progress and metrics, and
 * takes the findings at the end.
 */

import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import type { Expectations } from '../scenarios/types.js';
import type { Finding } from './types.js';

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
  /** Requirement ids the run covers (reports). */
  covers: string[];
  /** user → device names of the run's bots. */
  users: Record<string, string[]>;
  /** Capabilities the server claims (findings against unclaimed ones are dropped). */
  caps: Cap[];
  /** @see CheckContext.graceMs */
  graceMs?: number;
  /** @default 50 */
  maxFindingsPerRule?: number;
  /** Event copies kept per finding. @default 24 */
  evidencePerFinding?: number;
  /** Told every message's latencies as they become known. */
  latency?: LatencySink;
  /**
   * A message the receiver never came back for is judged (as it stands) this long after it was
   * sent, so one absent receiver cannot hold the ledger's memory. @default 60000
   */
  maxAgeMs?: number;
}

export interface StreamLedger {
  /** Every history event, in time order. */
  push(event: HistoryEvent): void;
  /** Judges and forgets what has settled by history time `now` (call about once a second). */
  retire(now: number): void;
  /** The figures so far (cheap: no judging). */
  counters(): LedgerCounters;
  /** Judges everything left as of history time `endT`. */
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
