/**
 * Group commit. Every write of the server (a message, a cursor, a device) is an operation given
 * to this queue; the queue runs the operations of one batch in ONE transaction, makes it durable
 * (Store.syncLog: fdatasync of the WAL) and only then calls each operation's `done`, which sends
 * the answers (MSG-1, ACK-3: nothing is acknowledged before it is committed and synced).
 *
 * With grouping on, a batch is every operation submitted in one event-loop turn: the flush runs
 * from setImmediate, i.e. after the poll phase has read every socket that had data. The sync
 * runs in libuv's thread pool, so the loop does not wait for the disk: while one fdatasync is in
 * flight, the next turns read, commit (to the OS, not yet to the disk) and hold their batches;
 * when it completes, the batches it covers are answered and ONE new fdatasync covers everything
 * committed meanwhile. So an idle server syncs each request at once, and a busy one does one
 * sync per disk round trip however many batches arrived during it. With grouping off, each
 * operation commits and syncs on its own at once (blocking) — the baseline scripts/bench/server.ts
 * compares against.
 *
 * `done` callbacks run in submission order, after the commit and the sync that covers it:
 * handlers rely on that order (a hello that commits after a message in the same batch sees that
 * message). Reads made inside `run` may see transactions committed but not yet synced; their
 * answers go out in `done`, after the sync, so nothing sent reveals data that is not durable.
 */

import type { Store } from './store.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

interface Operation {
  run: () => unknown;
  done: (outcome: Outcome<unknown>) => void;
}

export interface CommitQueueOptions {
  /** Batch operations of one event-loop turn into one transaction. */
  grouped: boolean;
  /**
   * Wait this long before committing a batch (0: the next turn). Only the `ack-before-commit`
   * fault sets it, to widen the window in which acknowledged data is not yet on disk.
   */
  deferMs: number;
  /**
   * Told about a batch that failed as a whole (its operations are then retried one by one),
   * about a `done` callback that threw (the other callbacks still run), and about a failed sync
   * (the operations it covered are answered with that error: their durability is unknown).
   */
  onError?: (error: Error, where: 'batch' | 'done' | 'sync') => void;
}

export interface CommitStats {
  /** Transactions committed (successful or not). */
  transactions: number;
  /** Operations run. */
  operations: number;
  /** Largest batch so far. */
  largestBatch: number;
  /** fdatasyncs of the WAL (each covers one or more transactions). */
  syncs: number;
  /** Time spent in transactions (the loop is blocked meanwhile), ms. */
  commitMs: number;
  /** Time from the start of each sync to its completion (the loop is not blocked), ms. */
  syncMs: number;
}

/** Committed operations with their outcomes, waiting for the sync that makes them durable. */
interface Committed {
  batch: Operation[];
  outcomes: Outcome<unknown>[];
}

export class CommitQueue {
  private pending: Operation[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private readonly stats: CommitStats = {
    transactions: 0,
    operations: 0,
    largestBatch: 0,
    syncs: 0,
    commitMs: 0,
    syncMs: 0,
  };
  /** Committed since the running sync started (or while none runs): the next sync covers them. */
  private unsynced: Committed[] = [];
  /** What the running fdatasync covers; undefined while none runs. */
  private syncing: Committed[] | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: CommitQueueOptions,
  ) {}

  /**
   * Runs `run` inside a transaction and then calls `done` with its result. `run` must only touch
   * the store (and read in-memory state): if the transaction rolls back, nothing else may have
   * changed. Side effects that must follow the commit (answers, pushes) belong in `done`.
   */
  submit<T>(run: () => T, done: (outcome: Outcome<T>) => void): void {
    const op: Operation = { run, done: done as (outcome: Outcome<unknown>) => void };
    if (!this.options.grouped && this.options.deferMs === 0) {
      this.commit([op]);
      return;
    }
    this.pending.push(op);
    if (this.scheduled === undefined) {
      this.scheduled =
        this.options.deferMs > 0
          ? setTimeout(() => this.commitPending(), this.options.deferMs)
          : setImmediate(() => this.commitPending());
    }
  }

  /**
   * Commits every pending operation, syncs and answers everything committed, now, blocking
   * (graceful shutdown, SHUT-1: the answers go out before the close frames).
   */
  flush(): void {
    this.commitPending();
    this.syncNow();
  }

  /** Commits the pending batch; its answers wait for a sync. */
  private commitPending(): void {
    if (this.scheduled !== undefined) {
      clearTimeout(this.scheduled as NodeJS.Timeout);
      clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = undefined;
    }
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.commit(batch);
  }

  get size(): number {
    return this.pending.length;
  }

  snapshot(): CommitStats {
    return { ...this.stats };
  }

  private commit(batch: Operation[]): void {
    this.stats.transactions++;
    this.stats.operations += batch.length;
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
    const started = performance.now();
    let outcomes: Outcome<unknown>[];
    try {
      const values = this.store.transaction(() => batch.map((op) => op.run()));
      outcomes = values.map((value) => ({ ok: true, value }));
    } catch (error) {
      // One bad operation must not fail its neighbours: retry each alone, so only the one that
      // throws is answered with an error (and, having rolled back, had no effect).
      if (batch.length === 1) {
        outcomes = [{ ok: false, error: error as Error }];
      } else {
        this.options.onError?.(error as Error, 'batch');
        outcomes = batch.map((op) => {
          this.stats.transactions++;
          try {
            return { ok: true, value: this.store.transaction(op.run) };
          } catch (err) {
            return { ok: false, error: err as Error };
          }
        });
      }
    }
    this.stats.commitMs += performance.now() - started;
    this.unsynced.push({ batch, outcomes });
    if (!this.options.grouped) this.syncNow();
    else if (this.syncing === undefined) this.startSync();
  }

  /** One fdatasync for everything committed so far; answers it when done, then starts the next. */
  private startSync(): void {
    const covered = this.unsynced;
    this.unsynced = [];
    this.syncing = covered;
    this.stats.syncs++;
    const started = performance.now();
    this.store.syncLog((error) => {
      // flush() synced and answered these itself meanwhile.
      if (this.syncing !== covered) return;
      this.stats.syncMs += performance.now() - started;
      this.syncing = undefined;
      this.answer(covered, error);
      if (this.unsynced.length > 0 && this.syncing === undefined) this.startSync();
    });
  }

  /** Syncs (blocking) and answers everything committed, including what a running sync covers. */
  private syncNow(): void {
    const covered = [...(this.syncing ?? []), ...this.unsynced];
    this.syncing = undefined;
    this.unsynced = [];
    if (covered.length === 0) return;
    let failure: Error | null = null;
    this.stats.syncs++;
    const started = performance.now();
    try {
      this.store.syncLogNow();
    } catch (error) {
      failure = error as Error;
    }
    this.stats.syncMs += performance.now() - started;
    this.answer(covered, failure);
  }

  private answer(committed: readonly Committed[], syncError: Error | null): void {
    if (syncError !== null) this.options.onError?.(syncError, 'sync');
    for (const { batch, outcomes } of committed) {
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i]!;
        try {
          batch[i]!.done(
            syncError !== null && outcome.ok
              ? { ok: false, error: new Error(`the commit could not be synced: ${syncError.message}`) }
              : outcome,
          );
        } catch (error) {
          this.options.onError?.(error as Error, 'done');
        }
      }
    }
  }
}
