/**
 * Pushes to one connected device: first pushes of newly committed messages (PUSH-1), the backlog
 * after hello (REPUSH-2), timed re-pushes of unacked messages (REPUSH-1/3), and the device's
 * live / catching-up state (SYNC-6).
 *
 * Re-push bookkeeping is a Map in due order: every entry is due `repushMs` after it was (re)sent
 * and time only moves forward, so insertion order is due order. One timer per device waits for
 * the head; a re-pushed entry moves to the tail. O(1) per push and per re-push.
 */

import type { Frame, MsgN, StoredMessage } from '../protocol/frames.js';
import { REORDER_HOLD_MS } from './faults.js';
import type { SessionRegistry } from './registry.js';

export interface FeedOptions {
  repushMs: number;
  /** False for `no-repush`: neither timed re-push nor the hello backlog. */
  repush: boolean;
  /** `duplicate-push`: every msg:N is sent twice. */
  duplicate: boolean;
  /** `reorder-push`: first pushes are swapped in pairs. */
  reorder: boolean;
  /**
   * `repush-acked`: an ack stops re-pushes only of messages from the sender of the newest message
   * it covers, as a server that tracks in-flight pushes per conversation would.
   */
  ackPerSender?: boolean;
  /** `repush-attempt-1`: re-pushes say attempt 1. */
  attemptStuck?: boolean;
}

interface InFlight {
  message: StoredMessage;
  attempt: number;
  dueAt: number;
}

function toFrame(m: StoredMessage, attempt: number): MsgN {
  return {
    type: 'msg:N',
    smid: m.smid,
    cmid: m.cmid,
    from: m.from,
    to: m.to,
    body: m.body,
    seq: m.seq,
    prevSeq: m.prevSeq ?? m.seq - 1,
    ts: m.ts,
    attempt,
  };
}

/** `lastPushedSmid` after goLive: every message at `pushedUpTo` counts as delivered already. */
const EVERY_SMID = '\u0000every';

export class DeviceFeed {
  /** Receives first pushes (SYNC-6: false while the device is catching up by sync). */
  live = false;
  /** Highest seq first-pushed on this connection: first pushes only ascend (ORDER-2). */
  private pushedUpTo = 0;
  private lastPushedSmid = '';
  private readonly inFlight = new Map<string, InFlight>();
  /**
   * True while `inFlight` is in ascending seq order, as first pushes make it; a re-push of only
   * some entries moves them behind later seqs. While ordered, an ack stops at the first entry it
   * does not cover instead of scanning every entry — acks of a busy device stay O(acked).
   */
  private ordered = true;
  private timer: NodeJS.Timeout | undefined;
  private held: { frame: MsgN; timer: NodeJS.Timeout } | undefined;
  private stopped = false;

  /**
   * @param emit sends one frame to the device
   * @param acked seqs up to this the device already has (PUSH-2)
   */
  constructor(
    private readonly emit: (frame: MsgN) => void,
    private readonly options: FeedOptions,
    private acked: number,
  ) {}

  /** Makes the device live; messages up to `upTo` are not pushed (it has them or will page them). */
  goLive(upTo: number): void {
    this.live = true;
    if (upTo > this.pushedUpTo) {
      this.pushedUpTo = upTo;
      this.lastPushedSmid = EVERY_SMID;
    }
  }

  /** A newly committed message of this device's user (PUSH-1). */
  offer(message: StoredMessage): void {
    if (this.live) this.push(message);
  }

  /** The backlog after hello, ascending (REPUSH-2). */
  pushBacklog(messages: readonly StoredMessage[]): void {
    for (const m of messages) this.push(m);
  }

  /** The device acked every seq up to `upTo`: stop re-pushing those (REPUSH-1). */
  ack(upTo: number): void {
    if (upTo <= this.acked) return;
    this.acked = upTo;
    if (this.options.ackPerSender) {
      this.ackOneSender(upTo);
      return;
    }
    for (const [smid, entry] of this.inFlight) {
      if (entry.message.seq <= upTo) this.inFlight.delete(smid);
      else if (this.ordered) break;
    }
    if (this.inFlight.size === 0) {
      this.ordered = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private ackOneSender(upTo: number): void {
    let newest: InFlight | undefined;
    for (const entry of this.inFlight.values()) {
      if (entry.message.seq <= upTo && (newest === undefined || entry.message.seq > newest.message.seq))
        newest = entry;
    }
    if (newest === undefined) return;
    const sender = newest.message.from;
    for (const [smid, entry] of this.inFlight) {
      if (entry.message.seq <= upTo && entry.message.from === sender) this.inFlight.delete(smid);
    }
    this.ordered = false;
  }

  /** How many pushes await an ack. */
  get unacked(): number {
    return this.inFlight.size;
  }

  stop(): void {
    this.stopped = true;
    this.live = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.held !== undefined) clearTimeout(this.held.timer);
    this.timer = undefined;
    this.held = undefined;
    this.inFlight.clear();
  }

  private push(m: StoredMessage): void {
    if (this.stopped || m.seq <= this.acked) return; // PUSH-2
    // Already first-pushed on this connection. (Equal seq with another smid only happens under
    // the seq-reuse fault; that message is pushed so the reuse is visible.)
    if (
      m.seq < this.pushedUpTo ||
      (m.seq === this.pushedUpTo && (m.smid === this.lastPushedSmid || this.lastPushedSmid === EVERY_SMID))
    ) {
      return;
    }
    this.pushedUpTo = m.seq;
    this.lastPushedSmid = m.smid;
    if (this.options.repush) {
      this.inFlight.set(m.smid, { message: m, attempt: 1, dueAt: performance.now() + this.options.repushMs });
      this.arm();
    }
    this.sendFirst(toFrame(m, 1));
  }

  private sendFirst(frame: MsgN): void {
    if (!this.options.reorder) {
      this.send(frame);
      return;
    }
    const held = this.held;
    if (held === undefined) {
      // reorder-push: hold the first of a pair; a lone push still goes out after a short while.
      this.held = { frame, timer: setTimeout(() => this.releaseHeld(), REORDER_HOLD_MS) };
      return;
    }
    clearTimeout(held.timer);
    this.held = undefined;
    this.send(frame);
    this.send(held.frame);
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held && !this.stopped) this.send(held.frame);
  }

  private send(frame: MsgN): void {
    this.emit(frame);
    if (this.options.duplicate) this.emit(frame);
  }

  private arm(): void {
    if (this.timer !== undefined || this.stopped) return;
    const head = this.inFlight.values().next();
    if (head.done) return;
    const wait = Math.max(0, head.value.dueAt - performance.now());
    this.timer = setTimeout(() => this.repushDue(), Math.ceil(wait));
  }

  /** REPUSH-1: re-send every push due now, same smid and seq, attempt + 1 (REPUSH-3). */
  private repushDue(): void {
    this.timer = undefined;
    const now = performance.now();
    const due: InFlight[] = [];
    for (const entry of this.inFlight.values()) {
      if (entry.dueAt > now) break;
      due.push(entry);
    }
    if (due.length > 0 && due.length < this.inFlight.size) this.ordered = false;
    for (const entry of due) {
      this.inFlight.delete(entry.message.smid);
      entry.attempt++;
      entry.dueAt = now + this.options.repushMs;
      this.inFlight.set(entry.message.smid, entry);
      // repush-attempt-1: the re-push is built like a first push.
      this.send(toFrame(entry.message, this.options.attemptStuck ? 1 : entry.attempt));
    }
    this.arm();
  }
}

/** A session that may have a feed (one per authenticated connection). */
export interface FeedHolder {
  readonly user: string;
  readonly device: string;
  readonly feed: DeviceFeed | undefined;
}

/** PUSH-1: offer a committed message to every connected device of its receiver. */
export function pushToDevices(registry: SessionRegistry<FeedHolder>, message: StoredMessage): void {
  for (const session of registry.devicesOf(message.to)) session.feed?.offer(message);
}

/**
 * `push-by-device-name`: the fan-out as a session table keyed by device name alone would do it —
 * every device of another user named like a connected device of the receiver gets the first push
 * too, sent as is (to: the receiver), outside that device's feed, as a stray copy is (PUSH-3).
 */
export function leakByDeviceName(
  registry: SessionRegistry<FeedHolder & { send(frame: Frame): void }>,
  message: StoredMessage,
): void {
  const names = new Set<string>();
  for (const session of registry.devicesOf(message.to)) if (session.feed?.live) names.add(session.device);
  if (names.size === 0) return;
  const frame = toFrame(message, 1);
  for (const session of registry.all()) {
    if (session.user !== message.to && names.has(session.device) && session.feed?.live) session.send(frame);
  }
}
