/**
 * What the checker says about one case: findings with evidence. Pure data; reporters render it.
 */

import type { Cap } from '../protocol/frames.js';
import type { Level } from '../protocol/requirements.js';
import type { Expectations, Precondition } from '../scenarios/types.js';

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
  | 'missing-repush'
  | 'false-receipt'
  | 'unanswered-request'
  | 'doubly-answered-request'
  | 'unsolicited-answer'
  | 'schema-violation'
  | 'sync-page'
  | 'latency'
  | 'retransmit-bound'
  | 'assertion';

/** A case threshold's id (src/checker/stats.ts THRESHOLD_IDS): `threshold:<scenario key>`. */
export type ThresholdId = `threshold:${string}`;

export interface Finding {
  kind: FindingKind;
  /**
   * The docs/protocol.md requirement the finding breaks, or the id of the case threshold it
   * exceeds (`threshold:ackLatencyP99`, …).
   */
  requirement: string;
  /** The requirement's level (a SHOULD finding only warns); a threshold's is the case's severity. */
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
  /**
   * Accepted messages the verdict counts as lost: never committed by their receiver, or
   * acknowledged before a crash and forgotten by the restarted server (DUR-1).
   */
  lost: number;
  /**
   * Messages delivered more than once as the verdict sees it: committed twice by a device, or
   * stored again as new on a retransmission (DEDUP-1, DUR-3).
   */
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

/**
 * A precondition of a case that did not hold: what the case set up to judge a rule never happened
 * (nothing was accepted while the receiver was offline, say), so the rule was not exercised and
 * the case is INCONCLUSIVE rather than PASS or FAIL. Not a finding against the server.
 */
export interface UnmetPrecondition {
  /** Which precondition: a `preconditions:` key (`accepted`, `acceptedOffline`), or a step's own (`send (line 14)`). */
  precondition: string;
  expected: string;
  actual: string;
  /** Indexes into the history's events, as for findings. */
  evidence: number[];
}

export interface CheckResult {
  findings: Finding[];
  stats: LedgerStats;
  /** Preconditions that did not hold (empty when all held). */
  unmet: UnmetPrecondition[];
}

/** What the checker needs besides the history: the case's expectations and the server's claims. */
export interface CheckContext {
  expect: Expectations;
  /** The level the case enforces: the level of its threshold findings (latency, retransmits). @default 'MUST' */
  severity?: Level;
  /** What must have happened for the case to judge its rule (Scenario.preconditions). @default [] */
  preconditions?: readonly Precondition[];
  /** user → device names of the case's bots. */
  users: Record<string, string[]>;
  /** Capabilities the server claims: findings against a requirement tagged with an unclaimed cap are dropped. */
  caps: Cap[];
  /**
   * How long a connected device, an open connection or a sender must have had for a missing
   * commit, answer or receipt to count against the server (retransmit, re-push and round trips
   * included). @default max(2000, 2 × limits.repushMs of the sessions)
   */
  graceMs?: number;
  /**
   * How long before a request the receiver's last connection must have closed for the server to
   * count it offline (RCPT-1, DEDUP-3): a server learns of a close a little after the client.
   * @default 250
   */
  settleMs?: number;
  /**
   * When the case ended (history time), before the runner's teardown closed the bots. Closes by the
   * client at or after it are teardown: those connections count as connected at the end.
   * @default the first event of the trailing run of client closes (and late inbound frames)
   */
  endT?: number;
  /** Findings kept per (kind, requirement); the last kept one says how many more there were. @default 50 */
  maxFindingsPerRule?: number;
  /**
   * Event indexes whose findings are kept past `maxFindingsPerRule`: the frame that stopped the
   * case, whose finding is the verdict's proof (runner/case-trouble.ts provenStop). @default []
   */
  pinned?: readonly number[];
}
