/**
 * What the checker says about one case: findings with evidence. Pure data; reporters render it.
 */

import type { Level } from '../protocol/requirements.js';

export type FindingKind =
  | 'lost'
  | 'app-duplicate'
  | 'wire-duplicate'
  | 'unexpected-message'
  | 'unknown-outcome'
  | 'seq-gap'
  | 'seq-reuse'
  | 'order-violation'
  | 'missing-receipt'
  | 'false-receipt'
  | 'unanswered-request'
  | 'doubly-answered-request'
  | 'unsolicited-answer'
  | 'schema-violation'
  | 'sync-page'
  | 'latency'
  | 'retransmit-bound'
  | 'assertion';

export interface Finding {
  kind: FindingKind;
  /** The docs/protocol.md requirement the finding breaks. */
  requirement: string;
  /** The requirement's level (a SHOULD finding only warns). */
  level: Level;
  expected: string;
  actual: string;
  /** Indexes into the history's events: the frames and events that prove the finding. */
  evidence: number[];
  /** Message the finding is about, when it is about one. */
  cmid?: string;
  smid?: string;
}

/** Counts the checker derives, reported and exported as metrics. */
export interface LedgerStats {
  sent: number;
  accepted: number;
  delivered: number;
  lost: number;
  appDuplicates: number;
  wireDuplicates: number;
  unknownOutcome: number;
  recovered: number;
  retransmits: number;
  receiptsStored: number;
  receiptsDelivered: number;
  seqGaps: number;
  schemaViolations: number;
  requests: number;
  unanswered: number;
  /** msg:R → msg:A latencies in ms (first attempt to first msg:A), ascending. */
  ackLatencyMs: number[];
  /** send → ack:N latencies in ms, ascending. */
  receiptLatencyMs: number[];
  /** send → first commit latencies in ms, ascending. */
  deliveryLatencyMs: number[];
}

export interface CheckResult {
  findings: Finding[];
  stats: LedgerStats;
}
