/**
 * Fan-out of a session's notifications to callbacks and async iterators. Notifications that
 * arrive before anyone subscribes (a server pushes right after hello:A, often in the same TCP
 * read, before the caller's `await connect()` has resumed) are buffered and handed to the first
 * subscriber synchronously while it subscribes, so nothing is lost and order is kept.
 */

export class NotificationHub<T> {
  private readonly listeners: ((n: T) => void)[] = [];
  private readonly iterators = new Set<IteratorQueue<T>>();
  private early: T[] | undefined = [];
  private ended = false;

  /** Delivers one notification (or buffers it until the first subscriber). */
  push(n: T): void {
    if (this.ended) return;
    if (this.early) {
      this.early.push(n);
      return;
    }
    for (let i = 0; i < this.listeners.length; i++) (this.listeners[i] as (n: T) => void)(n);
    if (this.iterators.size > 0) for (const queue of this.iterators) queue.push(n);
  }

  /** No more notifications: iterators finish, later pushes are dropped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const queue of this.iterators) queue.end();
    this.iterators.clear();
  }

  on(listener: (n: T) => void): () => void {
    this.listeners.push(listener);
    this.flushTo((n) => listener(n));
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  iterate(): AsyncIterable<T> {
    const queue = new IteratorQueue<T>(() => this.iterators.delete(queue));
    if (this.ended && !this.early) {
      queue.end();
    } else {
      this.iterators.add(queue);
      this.flushTo((n) => queue.push(n));
      if (this.ended) queue.end();
    }
    return queue;
  }

  private flushTo(deliver: (n: T) => void): void {
    const early = this.early;
    if (!early) return;
    this.early = undefined;
    for (const n of early) deliver(n);
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
