/**
 * What every load bot of a worker shares, so a connected bot costs one small object and no timer
 * of its own: the retransmit clock (one real timer per distinct delay, TimerLanes) and the ack
 * batcher (one microtask per event-loop turn for every bot that committed something).
 *
 * The retransmit clock is honest: a timer that expires only *queues* the message, and the
 * decision is taken in a setImmediate — after the event loop's poll phase has read whatever
 * arrived. Node runs expired timers before it reads sockets, so deciding inside the timer
 * callback retransmits messages whose msg:A or receipt is already sitting unread in the socket
 * (measured: a 100k-message burst with no fault at all drew 25k–73k retransmits from the kit's
 * own 1 s timer). Deciding after the poll phase retransmits only what truly got no answer.
 */

import type { Driver } from '../../drivers/driver.js';
import { TimerLanes } from '../../drivers/timer-lanes.js';
import type { History } from '../../history/events.js';
import type { ClientOptions } from '../../scenarios/types.js';
import type { LoadBot } from './load-bot.js';

export interface LoadBotShared {
  history: History;
  driver: Driver;
  client: Readonly<ClientOptions>;
  clock: RetransmitClock;
  acks: AckBatcher;
  /**
   * The login token of `user`, made at each login: a token string held by every bot for the
   * whole run was 80 B of each idle one (heap snapshots of 400 and 2,000 bots); an HMAC is a
   * few microseconds a login.
   */
  token(user: string): string;
  /** A sent message left the sender's window (receipted, given up or refused). */
  settled(bot: LoadBot): void;
  /** A session came up or went down (progress counts connected bots). */
  connection(bot: LoadBot, up: boolean): void;
}

/** A message in a sender's window, as the retransmit clock sees it. */
export interface Armed {
  /** Bumped on every (re)arm and disarm: an expiry whose stamp differs is stale. */
  stamp: number;
  /** Called when the timer expired with no answer read in the meantime. */
  due(): void;
}

export class RetransmitClock {
  private readonly lanes: TimerLanes<Armed>;
  private readonly expired: Armed[] = [];
  private readonly expiredStamps: number[] = [];
  private judging = false;
  private nextStamp = 0;

  constructor() {
    this.lanes = new TimerLanes<Armed>((item, stamp) => {
      if (item.stamp !== stamp) return;
      this.expired.push(item);
      this.expiredStamps.push(stamp);
      if (!this.judging) {
        this.judging = true;
        setImmediate(this.judge);
      }
    });
  }

  /** Arms (or re-arms) `item` to come due after `delayMs`. */
  arm(item: Armed, delayMs: number): void {
    item.stamp = ++this.nextStamp;
    this.lanes.add(delayMs, item, item.stamp);
  }

  /** Disarms `item`: a pending expiry becomes stale. */
  disarm(item: Armed): void {
    item.stamp = ++this.nextStamp;
  }

  clear(): void {
    this.lanes.clear();
    this.expired.length = 0;
    this.expiredStamps.length = 0;
  }

  private readonly judge = (): void => {
    this.judging = false;
    const items = this.expired.splice(0);
    const stamps = this.expiredStamps.splice(0);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      // An answer read in the poll phase settled or re-armed it: nothing to retransmit.
      if (item.stamp === stamps[i]) item.due();
    }
  };
}

/** A bot as the ack batcher sees it. */
export interface AckTarget {
  ackQueued: boolean;
  flushAck(): void;
}

/**
 * Coalesces acks (section 12: acks only after commit, cumulative): a bot that committed asks for
 * an ack; every bot that asked during one event-loop turn acks once, at the end of it — or after
 * `delayMs` when the client batches acks (ackDelay).
 */
export class AckBatcher {
  private queue: AckTarget[] = [];
  private scheduled = false;

  constructor(private readonly delayMs: number) {}

  schedule(bot: AckTarget): void {
    if (bot.ackQueued) return;
    bot.ackQueued = true;
    this.queue.push(bot);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.delayMs > 0) setTimeout(this.flush, this.delayMs);
    else queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const bots = this.queue;
    this.queue = [];
    for (const bot of bots) {
      bot.ackQueued = false;
      bot.flushAck();
    }
  };
}
