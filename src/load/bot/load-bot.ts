/**
 * A load bot: one device, the client half of the delivery model (docs/protocol.md section 12)
 * made lean enough for tens of thousands per process. It keeps every client rule of the case bot
 * (src/bots) and appends the same history events, which the streaming ledger and the metrics
 * read:
 *
 * - send: retransmit with the SAME cmid on timeout, the timeout growing by `backoff` up to
 *   `maxRetransmitMs`, give up after `maxAttempts`; resend everything unreceipted on reconnect;
 * - receive: commit first, ack after (cumulative, coalesced); drop what is already committed
 *   (dedup by seq watermark, or by recent smid where the protocol has no seq) and ack again when
 *   a committed message is re-pushed; fetch a seq gap with forward sync pages;
 * - reconnect: after the server or network drops the connection, log in again with lastSeq (the
 *   watermark) and catch up count-first (paged sync when the backlog exceeds the push window).
 *
 * The receiving half (watermark, dedup, acks, sync pages) is its base class, receiving-bot.ts.
 *
 * What it leaves out, and why: the case bot keeps every committed message and every sent entry
 * for the runner's conditions; a load run lasts hours, so a load bot keeps only what is in flight
 * (its window) and the seqs above its watermark. No per-bot timers (the worker's RetransmitClock
 * and AckBatcher are shared), no listeners, no misbehaviour switches.
 */

import type {
  Accepted,
  CloseInfo,
  DriverSession,
  Notification,
  SendSink,
  SessionWatcher,
} from '../../drivers/driver.js';
import { messageOf, ServerRejectedError } from '../../errors.js';
import { CloseCode } from '../../protocol/frames.js';
import { reconnectBackoffMs } from '../../scenarios/defaults.js';
import { ReceivingBot } from './receiving-bot.js';
import type { Armed, LoadBotShared } from './shared.js';

const PENDING = 0;
const ACCEPTED = 1;
const STORED = 2;

/** A message in the sender's window. */
class Outgoing implements Armed {
  stamp = 0;
  attempts = 0;
  status = PENDING;

  constructor(
    readonly bot: LoadBot,
    readonly cmid: string,
    readonly to: string,
    readonly body: string,
    /** When the schedule meant it to start (history ms); the `send` event carries it. */
    readonly scheduledT: number,
  ) {}

  due(): void {
    this.bot.retransmitDue(this);
  }
}

const noop = (): void => {};

/** Where the driver answers a load bot's msg:R (DriverSession.sendWith), for every bot. */
const ANSWERS: SendSink<Outgoing> = {
  accepted: (e, a) => e.bot.accepted(a),
  failed: (e, error) => e.bot.failed(e, error),
};

export class LoadBot extends ReceivingBot implements SessionWatcher {
  /** The bot means to be online (connected, or reconnecting on its own). */
  wantOnline = false;
  private stopped = false;
  private out: Map<string, Outgoing> | undefined;
  private sent = 0;
  private receiptsExpected = true;
  private reconnectFailures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Why the last login attempt failed (what the run reports when the kit could not connect). */
  connectError: unknown;
  /**
   * When its login attempts started failing in a row (history ms), while it means to be online
   * and is not: the run says the target stopped taking connections, not only what went missing.
   */
  failingSince: number | undefined;

  constructor(
    s: LoadBotShared,
    user: string,
    device: string,
    /** Spreads reconnections of bots dropped together (a kill -9) over the delay, 0–1. */
    private readonly jitter: number,
  ) {
    super(s, user, device);
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** Messages sent and not yet settled: the window in use. */
  get inFlight(): number {
    return this.out?.size ?? 0;
  }

  /** Logs in (resolves when the first attempt ends; a failure keeps retrying in the background). */
  async connect(): Promise<boolean> {
    if (this.stopped) return false;
    this.wantOnline = true;
    if (this.session) return true;
    try {
      await this.open();
      return true;
    } catch (error) {
      this.loginFailed(error);
      this.scheduleReconnect();
      return false;
    }
  }

  /** Goes offline on purpose: acks what is committed, then closes; no reconnection. */
  async disconnect(): Promise<void> {
    this.wantOnline = false;
    clearTimeout(this.reconnectTimer);
    const session = this.session;
    if (!session) return;
    this.flushAck();
    session.close().catch(noop);
    await session.closed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.disconnect();
    if (this.out) for (const e of this.out.values()) this.s.clock.disarm(e);
  }

  /**
   * Sends a new message: transmitted at once when connected, else queued for the next login, as
   * a real app queues what its user sends offline. The `send` event is recorded when it goes on
   * the wire (transmit): a message still queued when the run ends never left the kit, so it is
   * no sent message and no unknown outcome (the worker counts it dropped, `disconnected`).
   */
  send(to: string, body: string, scheduledT: number): string {
    const cmid = (++this.sent).toString(36);
    const e = new Outgoing(this, cmid, to, body, scheduledT);
    this.out ??= new Map();
    this.out.set(cmid, e);
    if (this.session) this.transmit(e, 'first');
    return cmid;
  }

  /** Messages of the window that never went on the wire: queued while the bot was disconnected. */
  get unsent(): number {
    let n = 0;
    if (this.out) for (const e of this.out.values()) if (e.attempts === 0) n++;
    return n;
  }

  // ── connection lifecycle ────────────────────────────────────────────────────────────────

  private async open(): Promise<void> {
    const lastSeq = this.mark;
    const session = await this.s.driver.connect(
      this.actor,
      {
        user: this.user,
        device: this.device,
        token: this.s.token(this.user),
        lastSeq,
        timeoutMs: this.s.client.requestTimeoutMs,
      },
      this.s.history,
    );
    if (!this.wantOnline || this.stopped || this.session) {
      session.abort();
      await session.closed;
      return;
    }
    const epoch = ++this.epoch;
    const info = session.info;
    this.session = session;
    this.reconnectFailures = 0;
    this.failingSince = undefined;
    this.contiguous = info.caps.includes('contiguous-seq');
    this.receiptsExpected = info.caps.includes('delivered-receipt');
    // HELLO-2: lastSeq acts as an ack, so the server's cursor already stands there.
    this.lastAck = lastSeq;
    if (session.watch) {
      // Methods rather than two closures over `epoch`: with their context, the `then` reaction
      // and its promise they were ~250 B of each idle bot (heap snapshots of 400 and 2,000 bots).
      session.watch(this);
    } else {
      void session.closed.then((close) => this.onClosed(epoch, close.initiator, close.code));
      session.onNotification((n) => {
        if (epoch === this.epoch) this.onNotification(n);
      });
    }
    this.s.connection(this, true);
    this.resend();
    this.catchUp(epoch, info);
  }

  /** Its session's notifications (SessionWatcher): only the current session's count. */
  notified(session: DriverSession, n: Notification): void {
    if (session === this.session) this.onNotification(n);
  }

  /** Its session ended (SessionWatcher). */
  sessionClosed(session: DriverSession, close: CloseInfo): void {
    if (session === this.session) this.onClosed(this.epoch, close.initiator, close.code);
  }

  private onClosed(epoch: number, initiator: string, code: number | undefined): void {
    if (epoch !== this.epoch) return;
    this.epoch++;
    this.session = undefined;
    this.ackQueued = false;
    // Timers stop with the connection; everything unreceipted is resent on the next login.
    if (this.out) for (const e of this.out.values()) this.s.clock.disarm(e);
    this.s.connection(this, false);
    if (this.stopped || !this.wantOnline) return;
    if ((initiator === 'server' || initiator === 'network') && code !== CloseCode.replaced) {
      this.scheduleReconnect();
    } else {
      // Replaced by a newer session of the same device (AUTH-6): fighting it back is not ours.
      this.wantOnline = false;
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || !this.wantOnline) return;
    const backoff = reconnectBackoffMs(this.s.client.reconnectDelayMs, this.reconnectFailures);
    const delay = backoff * (0.5 + this.jitter);
    this.reconnectTimer = setTimeout(() => {
      if (!this.wantOnline || this.stopped || this.session) return;
      this.open().catch((error: unknown) => {
        this.reconnectFailures++;
        this.loginFailed(error);
        this.scheduleReconnect();
      });
    }, delay);
  }

  private loginFailed(error: unknown): void {
    this.connectError = error;
    this.failingSince ??= this.s.history.now();
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────────

  /** A session came up: send what waits, resend what has no receipt (reason reconnect). */
  private resend(): void {
    if (!this.out) return;
    for (const e of this.out.values()) {
      if (e.attempts === 0) this.transmit(e, 'first');
      else if (e.attempts >= this.s.client.maxAttempts) this.giveUp(e);
      else this.transmit(e, 'reconnect');
    }
  }

  private transmit(e: Outgoing, reason: 'first' | 'timeout' | 'reconnect'): void {
    const session = this.session;
    if (!session) return;
    e.attempts++;
    const h = this.s.history;
    if (reason === 'first') {
      const { cmid, to, body, scheduledT } = e;
      h.append({ kind: 'send', t: h.now(), actor: this.actor, cmid, to, body, scheduledT });
    } else {
      h.append({
        kind: 'retransmit',
        t: h.now(),
        actor: this.actor,
        cmid: e.cmid,
        attempt: e.attempts,
        reason,
      });
    }
    const { retransmitMs, backoff, maxRetransmitMs, requestTimeoutMs } = this.s.client;
    this.s.clock.arm(e, Math.min(retransmitMs * backoff ** (e.attempts - 1), maxRetransmitMs));
    // The entry carries cmid, to and body: no per-send copy. Where the driver can answer
    // without a promise, one shared sink takes it: no promise, closure or reaction per send.
    if (session.sendWith) {
      session.sendWith(e, requestTimeoutMs, ANSWERS, e);
    } else {
      session.send(e, requestTimeoutMs).then(
        (a) => this.accepted(a),
        (error: unknown) => this.failed(e, error),
      );
    }
  }

  /** msg:A for a message of ours. */
  accepted(a: Accepted): void {
    const e = this.out?.get(a.cmid);
    if (!e || e.status !== PENDING) return;
    e.status = ACCEPTED;
    // Without receipts msg:A is the last word on a message.
    if (!this.receiptsExpected) this.settle(e);
  }

  /** The msg:R of `e` got no msg:A. */
  failed(e: Outgoing, error: unknown): void {
    // A lost or late msg:A is the retransmit timer's business; only a refusal is final.
    if (error instanceof ServerRejectedError && this.out?.get(e.cmid) === e) this.settle(e);
  }

  /** The retransmit clock: no answer arrived in time. */
  retransmitDue(e: Outgoing): void {
    if (this.out?.get(e.cmid) !== e || !this.session) return;
    // The last attempt had its full timeout to earn a receipt: now give up (section 12).
    if (e.attempts >= this.s.client.maxAttempts) this.giveUp(e);
    else this.transmit(e, 'timeout');
  }

  private giveUp(e: Outgoing): void {
    const h = this.s.history;
    h.append({ kind: 'give-up', t: h.now(), actor: this.actor, cmid: e.cmid, attempts: e.attempts });
    this.settle(e);
  }

  private settle(e: Outgoing): void {
    this.s.clock.disarm(e);
    this.out!.delete(e.cmid);
    this.s.settled(this);
  }

  private onReceipt(cmid: string, smid: string, status: 'stored' | 'delivered'): void {
    const e = this.out?.get(cmid);
    // Already settled: a repeated receipt (DEDUP-3) or a delivered one after stored; the frame
    // itself is in the history for the ledger.
    if (!e || (status === 'stored' && e.status === STORED)) return;
    const h = this.s.history;
    h.append({ kind: 'receipt', t: h.now(), actor: this.actor, cmid, smid, status });
    if (status === 'delivered' || this.s.client.storedStopsRetransmit) this.settle(e);
    else e.status = STORED;
  }

  // ── notifications: pushes to the receiving half (receiving-bot.ts), receipts to ours ──────

  private onNotification(n: Notification): void {
    if (n.type === 'msg:N') {
      this.receive(n.msg, 'push');
      this.s.acks.schedule(this);
    } else {
      this.onReceipt(n.cmid, n.smid, n.status);
    }
  }
}

/** Bots whose logins were failing when the run ended: the target stopped taking connections. */
export interface Unreachable {
  bots: number;
  /** When the first of them started failing (history ms, the run's clock). */
  since: number;
  /** What the last failed login of the worker's bots said. */
  error: string;
}

/**
 * The bots that mean to be online and are not, their logins failing since some time: how many,
 * since when (the earliest), and what the last of them failed with. Undefined when there are none.
 */
export function unreachableOf(bots: readonly LoadBot[]): Unreachable | undefined {
  let n = 0;
  let since = Number.POSITIVE_INFINITY;
  let last: unknown;
  for (const b of bots) {
    if (!b.wantOnline || b.connected || b.failingSince === undefined) continue;
    n++;
    since = Math.min(since, b.failingSince);
    last = b.connectError;
  }
  if (n === 0) return undefined;
  return { bots: n, since, error: messageOf(last) };
}
