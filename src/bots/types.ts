/**
 * The public shapes of a bot: its options, the state the runner watches, and what paging and
 * raw probes answer.
 */

import type { CloseInfo, Driver, RawFrame, SessionInfo } from '../drivers/driver.js';
import type { ActorId, History } from '../history/events.js';
import type { StoredMessage } from '../protocol/frames.js';
import type { ClientOptions } from '../scenarios/types.js';
import type { OutboxView } from './outbox-entries.js';
import type { ReconnectFailure } from './reconnect.js';

export interface BotOptions {
  /** "user/device", as in every history event of this bot. */
  actor: ActorId;
  user: string;
  device: string;
  token: string;
  driver: Driver;
  history: History;
  client: Readonly<ClientOptions>;
}

/**
 * Where one sent message stands. `pending`: no msg:A yet. `accepted`: msg:A, no receipt.
 * `stored` / `delivered`: the best ack:N seen. `gave-up`: maxAttempts used with no receipt.
 * `rejected`: the server answered msg:R with error:A (e.g. too-large); never retried.
 */
export type OutboxStatus = 'pending' | 'accepted' | 'stored' | 'delivered' | 'gave-up' | 'rejected';

export interface OutboxEntry {
  readonly cmid: string;
  readonly to: string;
  readonly body: string;
  status: OutboxStatus;
  /** msg:R frames sent for this message (0 while it waits for a connection). */
  attempts: number;
  /**
   * When the first msg:R went out (history clock), NaN before: the earliest the server can have
   * stored the message, which decides which receiver devices are owed it (checker/owed.ts).
   */
  sentAt: number;
  smid?: string;
}

/** Misbehaviour a `misbehave` step switches on (docs/protocol.md section 12, broken on purpose). */
export interface Misbehaviour {
  /** Crash (drop the socket, commit nothing) upon each of the next n new pushes, then relaunch. */
  crashBeforeCommit?: number;
  /**
   * Crash upon the n-th page of the next forward sync read (the catch-up after login, a gap
   * fetch), before committing it, and stay down until the next connect: the pages before it were
   * acked only by the ackUpTo riding on the requests after them (SYNC-3).
   */
  crashInSync?: number;
  /** Send no ack:R and no sync ackUpTo. */
  withholdAcks?: boolean;
  /** Delay every ack by this long, in ms. */
  delayAcksMs?: number;
  /** Forget lastSeq and the local store now, as a reinstall would. */
  loseState?: boolean;
  /** Never resend msg:R. */
  noRetransmit?: boolean;
}

export interface BotState {
  /** A session is up. */
  readonly connected: boolean;
  /** The bot means to be online (connected, or reconnecting on its own). */
  readonly online: boolean;
  /** What the last hello:A said (count first). */
  readonly lastSession: SessionInfo | undefined;
  /** Every message this bot sent, by cmid, in the order sent. */
  readonly outbox: OutboxView;
  /** How many outbox entries are in each status, kept up to date (no scan needed). */
  readonly counts: Readonly<Record<OutboxStatus, number>>;
  /** Highest seq with every seq up to it committed: the lastSeq sent at the next hello. */
  readonly committedUpTo: number;
  /** Messages in the local store. */
  readonly committed: number;
  /** The local store, by smid. */
  readonly store: ReadonlyMap<string, StoredMessage>;
  /** The device committed this smid, in this app epoch or before a reinstall forgot it. */
  committedEver(smid: string): boolean;
  /** A catch-up, gap fetch or page step is reading sync pages. */
  readonly syncing: boolean;
  /** Reconnecting on its own, and the attempts since the last session failed (what, since when). */
  readonly reconnectFailure: ReconnectFailure | undefined;
}

/** One sync:R and what its sync:A held. */
export interface PageInfo {
  after?: number;
  before?: number;
  limit: number;
  ackUpTo?: number;
  /** Seqs of the page's messages, in the order received. */
  seqs: number[];
  more: boolean;
  maxSeq: number;
}

export interface PageResult {
  direction: 'forward' | 'backward';
  pages: PageInfo[];
  /** Messages newly committed by these pages. */
  committed: number;
  /** Messages the pages repeated that the store already had. */
  duplicates: number;
  /** `more` of the last page. */
  more: boolean;
  maxSeq: number;
}

export interface RawOptions {
  /** Send on a fresh socket with no hello (else on the bot's session). @default false */
  beforeHello: boolean;
  /** How long to wait for the answer (or the close). */
  timeoutMs: number;
  /** Send the text's UTF-8 bytes as a binary message (FRAME-5). @default false */
  binary?: boolean;
  /**
   * Also wait for the connection to close (AUTH-2: error:A, then close 4401; FRAME-5: close
   * 1009). With no `rid` match expected, pass rid null and `awaitClose`. @default false
   */
  awaitClose?: boolean;
}

export interface RawAnswer {
  /** The A frame answering the rid (rid null: the next error:A with rid null), if one came. */
  frame?: RawFrame;
  /** How the connection ended, if it ended while waiting. */
  close?: CloseInfo;
  /** The deadline passed with neither. */
  timedOut: boolean;
}
