/**
 * Group commit. Every write of the server (a message, a cursor, a device) is an operation given
 * to this queue; the queue runs the operations of one batch in ONE transaction and only then
 * calls each operation's `done`, which sends the answers (MSG-1, ACK-3: nothing is acknowledged
 * before it is committed).
 *
 * With grouping on, a batch is every operation submitted in one event-loop turn: the flush runs
 * from setImmediate, i.e. after the poll phase has read every socket that had data. While a
 * flush (and its fsync) blocks the loop, new frames pile up in the sockets and form the next
 * batch, so batches grow exactly when the disk is the bottleneck. With grouping off, each
 * operation commits on its own at once — the baseline scripts/bench/server.ts compares against.
 *
 * `done` callbacks run synchronously, in submission order, after the commit: handlers rely on
 * that order (a hello that commits after a message in the same batch sees that message).
 */

import type { Store } from './store.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

interface Operation {
  run: () => unknown;
  done: (outcome: Outcome<unknown>) => void;
  /** performance.now() after which a deferred operation commits (deferMs > 0 only). */
  due: number;
}

export interface CommitQueueOptions {
  /** Batch operations of one event-loop turn into one transaction. */
  grouped: boolean;
  /**
   * Commit each operation this long after it was submitted (0: the next turn). Only the
   * `ack-before-commit` fault sets it, to widen the window in which acknowledged data is not yet
   * on disk. The delay is per operation, not per batch: a batch timer would commit everything at
   * once every deferMs, so a kill landing just after such a flush (a kill at a round time after
   * a steady start often does) would find nothing acknowledged and uncommitted. Per operation,
   * the last deferMs of acknowledged writes are always at risk.
   */
  deferMs: number;
  /**
   * Told about a batch that failed as a whole (its operations are then retried one by one) and
   * about a `done` callback that threw (the other callbacks still run).
   */
  onError?: (error: Error, where: 'batch' | 'done') => void;
}

export interface CommitStats {
  /** Transactions committed (successful or not). */
  transactions: number;
  /** Operations run. */
  operations: number;
  /** Largest batch so far. */
  largestBatch: number;
  /** Time spent in transactions, fsync at COMMIT included (the event loop is blocked meanwhile), ms. */
  commitMs: number;
}

export class CommitQueue {
  private pending: Operation[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private readonly stats: CommitStats = {
    transactions: 0,
    operations: 0,
    largestBatch: 0,
    commitMs: 0,
  };

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
    const deferMs = this.options.deferMs;
    const op: Operation = {
      run,
      done: done as (outcome: Outcome<unknown>) => void,
      due: deferMs > 0 ? performance.now() + deferMs : 0,
    };
    if (!this.options.grouped && deferMs === 0) {
      this.commit([op]);
      return;
    }
    this.pending.push(op);
    if (this.scheduled === undefined) {
      this.scheduled =
        deferMs > 0 ? setTimeout(() => this.commitDue(), deferMs) : setImmediate(() => this.flush());
    }
  }

  /** Deferred mode: commits the operations whose delay is over, waits for the next one. */
  private commitDue(): void {
    this.scheduled = undefined;
    const now = performance.now();
    // Submitted in order, so the due ones are a prefix.
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.due <= now) n++;
    const batch = this.pending.splice(0, n);
    if (this.pending.length > 0) {
      this.scheduled = setTimeout(() => this.commitDue(), Math.max(1, this.pending[0]!.due - now));
    }
    if (batch.length > 0) this.commit(batch);
  }

  /** Commits every pending operation now (also used by graceful shutdown, SHUT-1). */
  flush(): void {
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
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.done(outcomes[i]!);
      } catch (error) {
        this.options.onError?.(error as Error, 'done');
      }
    }
  }
}
