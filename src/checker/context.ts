/**
 * The state every check of one run shares: the ledger, the finding sink, the fault index, and the
 * resolved options (grace, settle, the end of the case).
 */

import type { Cap } from '../protocol/frames.js';
import type { Level } from '../protocol/requirements.js';
import type { Expectations } from '../scenarios/types.js';
import type { AlwaysOnJudges } from './always-on/judges.js';
import type { FaultIndex } from './fault-index.js';
import type { FindingSink } from './findings.js';
import { graceFor } from './owed.js';
import type { RepushState } from './repush.js';
import type { ConnState, Ledger, UserState } from './state.js';
import type { UnmetPrecondition } from './types.js';

/** Counted by the end passes (and the streaming ledger's retirements), for LedgerStats. */
export interface EndCounts {
  accepted: number;
  delivered: number;
  lost: number;
  sent: number;
  unknownOutcome: number;
  recovered: number;
}

export function zeroEndCounts(): EndCounts {
  return { accepted: 0, delivered: 0, lost: 0, sent: 0, unknownOutcome: 0, recovered: 0 };
}

/** A message's latencies, told once each as the pass first sees them (ms; `m`: message id). */
export interface TimingSink {
  accepted(s: Scan, m: number, ms: number): void;
  receipted(s: Scan, m: number, ms: number): void;
  delivered(s: Scan, m: number, ms: number): void;
  /** Delivered with the receipt the case expects: no longer in flight. */
  settled(s: Scan, m: number): void;
}

/** A page whose seqs left holes, judged at the end when we know which seqs exist. */
export interface PageHoles {
  idx: number;
  user: UserState;
  holes: number[];
  /** The page's maxSeq: that seq exists, by the server's own word. */
  maxSeq: number;
  forward: boolean;
  /** The page continues the previous forward page (after = its last seq): SYNC-4 territory. */
  chained: boolean;
  /** Holes before the page's first message (at the boundary with the previous page). */
  boundary: number;
}

/** A delivered receipt that came before the message's seq was known (RCPT-3, judged at the end). */
export interface DeferredReceipt {
  idx: number;
  msg: number;
  /** Stored id, or -1. */
  stored: number;
  receiver: UserState;
  maxAckSent: number;
}

/**
 * A retransmission, sent after its message's first msg:A arrived, answered as a new message:
 * without dup: true, or with another smid (DEDUP-1, DUR-1, DUR-3).
 */
export interface Reaccept {
  msg: number;
  /** The msg:A with the new smid, and the msg:R it answered. */
  idx: number;
  reqIdx: number;
  /** Stored ids of the first smid and the new one. */
  first: number;
  again: number;
  /**
   * The first push or page after the latest stop of the target, before this answer, that showed
   * the first copy (first seen before that stop), or -1: read when recorded, so it stays final.
   */
  seenAfterStopIdx: number;
}

export interface Scan {
  readonly l: Ledger;
  readonly sink: FindingSink;
  readonly faults: FaultIndex;
  readonly caps: ReadonlySet<Cap>;
  readonly expect: Expectations;
  /** The case's severity: the level of threshold findings. */
  readonly severity: Level;
  readonly settleMs: number;
  /**
   * History time the case ended (before the runner's teardown). A streaming ledger learns it at
   * the end; while it retires messages it is the retirement's "now" (+∞ between retirements).
   */
  endT: number;
  /** Close events at or after this index with initiator 'client' are the runner's teardown. */
  readonly teardownFrom: number;
  /** Resolved once the pass has seen every session's limits (graceOf). */
  graceMs: number;
  /** The case fixed the grace (CheckContext.graceMs): the sessions' limits do not move it. */
  readonly graceFixed: boolean;
  /** What the end passes (and retirements) counted. */
  readonly counts: EndCounts;
  /** Told each message's latencies as they become known (the streaming ledger's sink). */
  readonly timing: TimingSink | undefined;
  readonly pageHoles: PageHoles[];
  readonly deferredReceipts: DeferredReceipt[];
  readonly reaccepts: Reaccept[];
  /** Thresholds that could not judge (the case's INCONCLUSIVE), with the preconditions'. */
  readonly unmet: UnmetPrecondition[];
  /** REPUSH-1's pass, fed event by event (repush.ts); created on the first frame. */
  repush?: RepushState | undefined;
  /** The always-on judges and their message index (always-on/engine-rule.ts); created on the first event. */
  alwaysOn?: AlwaysOnJudges | undefined;
}

/** The grace: at least two re-push intervals of any session seen so far, unless the case fixed it. */
export function graceOf(s: Scan, floorMs: number): number {
  if (!s.graceFixed) s.graceMs = graceFor(floorMs, s.l.maxRepushMs);
  return s.graceMs;
}

/** When a connection stopped counting: its close, or the end of the case if it was open then. */
export function connEnd(s: Scan, conn: ConnState): number {
  return conn.open ? s.endT : conn.closeT;
}
