/**
 * The state every check of one run shares: the ledger, the finding sink, the fault index, and the
 * resolved options (grace, settle, the end of the case).
 */

import type { Cap } from '../protocol/frames.js';
import type { Level } from '../protocol/requirements.js';
import type { Expectations } from '../scenarios/types.js';
import type { FaultIndex } from './fault-index.js';
import type { FindingSink } from './findings.js';
import type { ConnState, Ledger, UserState } from './state.js';
import type { UnmetPrecondition } from './types.js';

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
  /** History time the case ended (before the runner's teardown). */
  readonly endT: number;
  /** Close events at or after this index with initiator 'client' are the runner's teardown. */
  readonly teardownFrom: number;
  /** Resolved once the pass has seen every session's limits. */
  graceMs: number;
  readonly pageHoles: PageHoles[];
  readonly deferredReceipts: DeferredReceipt[];
  readonly reaccepts: Reaccept[];
  /** Thresholds that could not judge (the case's INCONCLUSIVE), with the preconditions'. */
  readonly unmet: UnmetPrecondition[];
}

/** When a connection stopped counting: its close, or the end of the case if it was open then. */
export function connEnd(s: Scan, conn: ConnState): number {
  return conn.open ? s.endT : conn.closeT;
}
