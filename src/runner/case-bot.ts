/**
 * What the runner needs from a bot, as a narrow interface: the runner never reaches into a bot's
 * internals, and a step handler gets only this.
 */

import type { ReconnectFailure } from '../bots/index.js';
import type { DeviceStart } from '../checker/owed.js';
import type { SessionInfo } from '../drivers/driver.js';
import type { MisbehaveStep } from '../scenarios/types.js';

export type OutboxStatus = 'pending' | 'accepted' | 'stored' | 'delivered' | 'gave-up';

export interface OutboxView {
  cmid: string;
  to: string;
  status: OutboxStatus;
  smid?: string;
  /** When its first msg:R went out (history clock); NaN before. */
  sentAt: number;
}

export interface PageView {
  /** Seqs of every message the paging returned, in the order they arrived. */
  seqs: number[];
  maxSeq: number;
  pages: number;
  /**
   * Where the walk started: the first page's `after` (forward) or `before` (backward). A device
   * that already holds messages pages only past what it has, so completeness is judged from here.
   */
  from?: number;
}

export interface CaseBot {
  readonly actor: string;
  readonly user: string;
  readonly device: string;
  readonly connected: boolean;
  /**
   * Set while the device means to be online, is not, and its reconnection attempts fail: the
   * target stopped taking connections (what a kit limit's reason says, not only what is missing).
   */
  readonly reconnectFailure: ReconnectFailure | undefined;
  readonly lastSession: SessionInfo | undefined;
  /** How the device first logged in, as it went on the wire (the checker's DeviceStart). */
  readonly start: Readonly<DeviceStart>;
  connect(state: 'keep' | 'none' | 'server'): Promise<SessionInfo>;
  disconnect(mode: 'clean' | 'crash'): Promise<void>;
  /** Queues a new message; returns its cmid at once. */
  send(to: string, body: string, cmid?: string): string;
  outboxEntries(): Iterable<OutboxView>;
  /** Committed by this device, in its current app epoch or before a reinstall forgot it. */
  hasCommitted(smid: string): boolean;
  /** The seq of a message in the device's local store, or undefined. */
  seqOf(smid: string): number | undefined;
  /** The flags of a `misbehave` step. */
  misbehave(flags: Omit<MisbehaveStep, 'op' | 'loc' | 'bots'>): void;
  behave(): void;
  page(direction: 'forward' | 'backward', limit: number, pages: number): Promise<PageView>;
  stop(): Promise<void>;
}
