/**
 * Fan-out of a session's notifications to callbacks and async iterators. Notifications that
 * arrive before anyone subscribes (a server pushes right after hello:A, often in the same TCP
 * read, before the caller's `await connect()` has resumed) are buffered and handed to the first
 * subscriber synchronously while it subscribes, so nothing is lost and order is kept.
 */

/** A listener object of a hub (NotificationHub.attach). */
export interface HubTarget<T> {
  take(n: T): void;
}

export class NotificationHub<T> {
  // Allocated on first use: a connected load bot has one listener and no iterator, and tens of
  // thousands of hubs each holding an empty array, Set and buffer showed in its memory.
  /** The first listener; `more` holds any others (rare: tests, tools). */
  private listener: ((n: T) => void) | undefined;
  /** A listener object (attach): its method is called, so the caller needs no closure. */
  private target: HubTarget<T> | undefined;
  private more: ((n: T) => void)[] | undefined;
  private iterators: Set<IteratorQueue<T>> | undefined;
  /** Notifications that came before the first subscriber; undefined once someone subscribed. */
  private early: T[] | undefined;
  private subscribed = false;
  private ended = false;

  /** Delivers one notification (or buffers it until the first subscriber). */
  push(n: T): void {
    if (this.ended) return;
    if (!this.subscribed) {
      this.early ??= [];
      this.early.push(n);
      return;
    }
    this.listener?.(n);
    this.target?.take(n);
    const more = this.more;
    if (more) for (let i = 0; i < more.length; i++) (more[i] as (n: T) => void)(n);
    if (this.iterators && this.iterators.size > 0) for (const queue of this.iterators) queue.push(n);
  }

  /** No more notifications: iterators finish, later pushes are dropped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.iterators) return;
    for (const queue of this.iterators) queue.end();
    this.iterators.clear();
  }

  on(listener: (n: T) => void): () => void {
    if (this.listener === undefined) {
      this.listener = listener;
    } else {
      this.more ??= [];
      this.more.push(listener);
    }
    this.flushTo(listener);
    return () => {
      if (this.listener === listener) {
        this.listener = this.more?.shift();
        return;
      }
      const i = this.more?.indexOf(listener) ?? -1;
      if (i >= 0) this.more!.splice(i, 1);
    };
  }

  /** Like `on`, with an object's `take` for a listener (one target a hub, never detached). */
  attach(target: HubTarget<T>): void {
    this.target = target;
    this.flushTo((n) => target.take(n));
  }

  iterate(): AsyncIterable<T> {
    const queue = new IteratorQueue<T>(() => this.iterators?.delete(queue));
    if (this.ended && this.subscribed) {
      queue.end();
    } else {
      this.iterators ??= new Set();
      this.iterators.add(queue);
      this.flushTo((n) => queue.push(n));
      if (this.ended) queue.end();
    }
    return queue;
  }

  private flushTo(deliver: (n: T) => void): void {
    if (this.subscribed) return;
    this.subscribed = true;
    const early = this.early;
    this.early = undefined;
    if (early) for (const n of early) deliver(n);
  }
}

class IteratorQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(): void {
    this.done = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.head < this.items.length) {
          const value = this.items[this.head++] as T;
          if (this.head > 1024 && this.head * 2 > this.items.length) {
            this.items.splice(0, this.head);
            this.head = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.done = true;
        this.onReturn();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
