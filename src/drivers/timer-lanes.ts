/**
 * Many timeouts with few distinct delays, one real timer per delay ("lane"). Every request of a
 * session waits the same requestTimeoutMs and every first retransmission the same retransmitMs,
 * so each lane is a FIFO whose deadlines never decrease: adding is three array pushes, and
 * cancelling is free — the owner ignores expiries whose `stamp` is stale. At tens of thousands
 * of messages per second this replaces two setTimeout/clearTimeout pairs (and their closures)
 * per message, which showed up as garbage-collection time in the bots bench.
 */

class Lane<T> {
  readonly items: T[] = [];
  readonly stamps: number[] = [];
  readonly due: number[] = [];
  head = 0;
  timer: NodeJS.Timeout | undefined;
}

export class TimerLanes<T> {
  private readonly lanes = new Map<number, Lane<T>>();

  /**
   * `onExpire(item, stamp, lateMs)` runs once per added item whose deadline passed, stale or not;
   * `lateMs` is how long after its deadline it ran: a process starved of CPU fires timers late,
   * and what it then does (a retransmission) is the kit's lateness, not the peer's.
   *
   * `unref`: the lanes' timers do not keep the process alive. For lanes shared by many owners
   * whose own handles (sockets) already do: a stale expiry must not hold an idle process open.
   */
  constructor(
    private readonly onExpire: (item: T, stamp: number, lateMs: number) => void,
    private readonly unref = false,
  ) {}

  /** Calls back with (item, stamp) after `delayMs` (rounded to whole ms). */
  add(delayMs: number, item: T, stamp = 0): void {
    const delay = Math.max(0, Math.round(delayMs));
    let lane = this.lanes.get(delay);
    if (!lane) {
      lane = new Lane<T>();
      this.lanes.set(delay, lane);
    }
    lane.items.push(item);
    lane.stamps.push(stamp);
    lane.due.push(performance.now() + delay);
    if (!lane.timer) this.arm(lane, delay);
  }

  /** Drops every pending expiry. */
  clear(): void {
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    this.lanes.clear();
  }

  private arm(lane: Lane<T>, wait: number): void {
    lane.timer = setTimeout(() => this.fire(lane), Math.max(0, wait));
    if (this.unref) lane.timer.unref();
  }

  private fire(lane: Lane<T>): void {
    lane.timer = undefined;
    // Timers may fire a hair early; anything due within a millisecond counts as due.
    const now = performance.now() + 1;
    while (lane.head < lane.items.length && (lane.due[lane.head] as number) <= now) {
      const i = lane.head++;
      const item = lane.items[i] as T;
      const stamp = lane.stamps[i] as number;
      lane.items[i] = undefined as T;
      this.onExpire(item, stamp, Math.max(0, now - 1 - (lane.due[i] as number)));
    }
    if (lane.head >= lane.items.length) {
      lane.items.length = 0;
      lane.stamps.length = 0;
      lane.due.length = 0;
      lane.head = 0;
      return;
    }
    if (lane.head > 4096) {
      lane.items.splice(0, lane.head);
      lane.stamps.splice(0, lane.head);
      lane.due.splice(0, lane.head);
      lane.head = 0;
    }
    if (!lane.timer) this.arm(lane, (lane.due[lane.head] as number) - performance.now());
  }
}
