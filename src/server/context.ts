/**
 * What the server's parts share, and the narrow views handlers get of it. Each handler declares
 * the members it uses (a `Pick` of ServerContext), so what a handler can touch is visible in its
 * signature.
 */

import type { Frame, Limits } from '../protocol/frames.js';
import type { Authenticate } from './auth.js';
import type { CommitQueue } from './commit-queue.js';
import type { CursorBook } from './cursors.js';
import type { FaultSet } from './faults.js';
import type { DeviceFeed, FeedHolder } from './push.js';
import type { Receipts, ReceiptTarget } from './receipts.js';
import type { SessionRegistry } from './registry.js';
import type { Store } from './store.js';

/** An authenticated session as the registry, pushes and receipts see it. */
export type ConnectedDevice = FeedHolder &
  ReceiptTarget & {
    /** Closes the connection with a RAN/1 close code; nothing more is sent on it. */
    close(code: number, reason: string): void;
  };

export interface ServerContext {
  readonly limits: Readonly<Limits>;
  readonly faults: FaultSet;
  readonly store: Store;
  readonly queue: CommitQueue;
  readonly cursors: CursorBook;
  readonly registry: SessionRegistry<ConnectedDevice>;
  readonly receipts: Receipts;
  readonly authenticate: Authenticate;
  /** A new server message id, unique on this server across restarts (MSG-2). */
  newSmid(): string;
  log(line: string): void;
}

/** What request handlers see of an authenticated connection. */
export interface AuthedSession extends ReceiptTarget {
  readonly feed: DeviceFeed;
  readonly isOpen: boolean;
}

/** What the hello handler sees of a connection that is logging in. */
export interface LoginSession {
  readonly isOpen: boolean;
  /** hello:R accepted for checking: stop the hello timer, refuse a second hello meanwhile. */
  beginHello(): void;
  /** The hello failed after beginHello (storage error): back to awaiting hello. */
  helloFailed(): void;
  /** The session is now this user's device, with this feed (AUTH-3). */
  authenticate(user: string, device: string, feed: DeviceFeed): void;
  /** Closes the connection with a RAN/1 close code. */
  close(code: number, reason: string): void;
  send(frame: Frame): void;
}
