/**
 * What the runner needs from a bot, as a narrow interface: the runner never reaches into a bot's
 * internals, and a step handler gets only this.
 */

import type { SessionInfo } from '../drivers/driver.js';
import type { MisbehaveStep } from '../scenarios/types.js';

export type OutboxStatus = 'pending' | 'accepted' | 'stored' | 'delivered' | 'gave-up';

export interface OutboxView {
  cmid: string;
  to: string;
  status: OutboxStatus;
  smid?: string;
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
  readonly lastSession: SessionInfo | undefined;
  connect(state: 'keep' | 'none' | 'server'): Promise<SessionInfo>;
  disconnect(mode: 'clean' | 'crash'): Promise<void>;
  /** Queues a new message; returns its cmid at once. */
  send(to: string, body: string, cmid?: string): string;
  outboxEntries(): Iterable<OutboxView>;
  hasCommitted(smid: string): boolean;
  /** The flags of a `misbehave` step. */
  misbehave(flags: Omit<MisbehaveStep, 'op' | 'loc' | 'bots'>): void;
  behave(): void;
  page(direction: 'forward' | 'backward', limit: number, pages: number): Promise<PageView>;
  stop(): Promise<void>;
}
