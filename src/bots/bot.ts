/**
 * One bot = one actor ("user/device"): the client half of the delivery model (docs/protocol.md
 * section 12) on top of a driver. It sends with a waiting-for-ack queue (outbox), commits
 * received messages to a local store before acking them (inbox, acker), fetches seq gaps and
 * catches up count-first with paged sync (pager), reconnects on its own when the server or the
 * network drops it, and can be told to misbehave. Every decision is appended to the history.
 *
 * @example
 * const bot = new Bot({ actor: 'bob/phone', user: 'bob', device: 'phone', token, driver, history,
 *   client: resolveClientOptions() });
 * await bot.connect({ state: 'keep' });
 * const cmid = bot.send('alice', 'hello');
 * const off = bot.onChange(() => { if (bot.state.outbox.get(cmid)?.status === 'delivered') … });
 */

import { randomBytes } from 'node:crypto';
import type {
  ConnectOptions,
  Driver,
  DriverSession,
  Notification,
  SendSink,
  SessionInfo,
} from '../drivers/driver.js';
import {
  ConnectionClosedError,
  ServerRejectedError,
  TimeoutError,
  UnsupportedError,
  UsageError,
} from '../errors.js';
import type { ActorId, History, HistoryEvent, RetransmitEvent } from '../history/events.js';
import { CloseCode, type StoredMessage } from '../protocol/frames.js';
import type { ClientOptions } from '../scenarios/types.js';
import { Acker } from './acker.js';
import { Inbox, type Via } from './inbox.js';
import { MisbehaviourFlags } from './misbehaviour.js';
import { MAX_RECONNECT_DELAY_MS } from './options.js';
import { Outbox, type TransmitReason } from './outbox.js';
import { type PagerContext, pageBackward, pageForward } from './pager.js';
import { probeRawSocket, probeSession, within } from './raw-probe.js';
import type {
  BotOptions,
  BotState,
  Misbehaviour,
  OutboxEntry,
  PageResult,
  RawAnswer,
  RawOptions,
} from './types.js';

/** One connection as the bot uses it; `alive` goes false the moment the bot stops listening. */
interface Live {
  readonly session: DriverSession;
  alive: boolean;
}

export class Bot {
  readonly actor: ActorId;
  readonly user: string;
  readonly device: string;
  private readonly driver: Driver;
  private readonly history: History;
  private readonly client: Readonly<ClientOptions>;
  private readonly token: string;
  private readonly inbox = new Inbox();
  private readonly outbox: Outbox;
  private readonly acker: Acker;
  private readonly flags = new MisbehaviourFlags();
  /** An array, not a Set: it is walked several times per message. */
  private listeners: (() => void)[] = [];
  private current: Live | undefined;
  private connecting: Promise<SessionInfo> | undefined;
  private lastInfo: SessionInfo | undefined;
  private wantOnline = false;
  private stopped = false;
  /** The next crash-close relaunches the app (crashBeforeCommit, loseState). */
  private relaunch = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectFailures = 0;
  private syncChain: Promise<unknown> = Promise.resolve();
  private syncing = 0;
  /** Where the next backward page starts (a new device reading its history on demand). */
  private backwardCursor: number | undefined;
  private notifying = false;
  private dirty = false;

  constructor(options: BotOptions) {
    this.actor = options.actor;
    this.user = options.user;
    this.device = options.device;
    this.token = options.token;
    this.driver = options.driver;
    this.history = options.history;
    this.client = options.client;
    this.outbox = new Outbox(
      this.client,
      {
        transmit: (entry, reason, lateMs) => this.transmit(entry, reason, lateMs),
        giveUp: (entry) => {
          this.record({
            kind: 'give-up',
            t: this.now(),
            actor: this.actor,
            cmid: entry.cmid,
            attempts: entry.attempts,
          });
          this.changed();
        },
        retransmitSuppressed: () => this.flags.suppressRetransmit,
      },
      randomBytes(4).toString('hex'),
    );
    this.acker = new Acker({
      upTo: () => this.inbox.watermark,
      send: (upTo) => this.sendAck(upTo),
      delayMs: () => this.client.ackDelayMs + this.flags.ackDelayMs,
      withheld: () => this.flags.withholdAcks,
    });
  }

  /** A snapshot view of the bot; maps are live and read-only. */
  /**
   * The bot's state, read live: one object whose members always reflect the current values, so
   * a runner checking conditions on every change allocates nothing.
   */
  get state(): BotState {
    return this.view;
  }

  private readonly view: BotState = ((bot: Bot): BotState => ({
    get connected() {
      return bot.current?.alive === true;
    },
    get online() {
      return bot.wantOnline;
    },
    get lastSession() {
      return bot.lastInfo;
    },
    get outbox() {
      return bot.outbox.entries;
    },
    get counts() {
      return bot.outbox.counts;
    },
    get committedUpTo() {
      return bot.inbox.watermark;
    },
    get committed() {
      return bot.inbox.size;
    },
    get store() {
      return bot.inbox.store;
    },
    committedEver: (smid) => bot.inbox.committedEver(smid),
    get syncing() {
      return bot.syncing > 0;
    },
  }))(this);

  /**
   * Logs in. `keep` sends the bot's lastSeq (its committed watermark; 0 for a fresh install);
   * `none` forgets the local store first and sends no lastSeq (a new device, NEWDEV-1). Resolves
   * with hello:A's count-first answer; catching up (pushes, or paged sync when
   * `pending > limits.pushWindow`) continues in the background — watch `state`/`onChange`.
   * Connecting while connected with `keep` returns the current session.
   */
  async connect(options: { state: 'keep' | 'none' } = { state: 'keep' }): Promise<SessionInfo> {
    this.assertRunning('connect');
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (this.current?.alive) {
      if (options.state === 'keep') return this.current.session.info;
      await this.disconnect('clean');
    }
    this.cancelReconnect();
    if (options.state === 'none') {
      this.inbox.reset();
      this.backwardCursor = undefined;
    }
    this.wantOnline = true;
    try {
      return await this.open();
    } catch (error) {
      this.wantOnline = false;
      throw error;
    }
  }

  /**
   * Goes offline and stays offline (no auto-reconnect). `clean`: acks what is committed, then a
   * close handshake. `crash`: drops the socket with no goodbye; unsent acks are lost, the store
   * and the outbox survive (they are the app's database).
   */
  async disconnect(mode: 'clean' | 'crash'): Promise<void> {
    this.wantOnline = false;
    this.relaunch = false;
    this.cancelReconnect();
    if (this.connecting) await this.connecting.catch(() => undefined);
    const live = this.current;
    if (!live) return;
    if (mode === 'clean') {
      if (live.alive) this.acker.flushNow();
      await this.closeWithin(live);
    } else {
      live.alive = false;
      live.session.abort();
      await live.session.closed;
    }
  }

  /**
   * Sends a new message (records `send`); returns its cmid. Sent at once when connected, else
   * at the next connect; retransmitted with the same cmid until a receipt or give-up.
   * `cmid` defaults to a fresh unique id.
   */
  send(to: string, body: string, cmid?: string): string {
    this.assertRunning('send');
    // A cmid the outbox makes is new by construction; only a caller's choice is looked up.
    const id = cmid ?? this.outbox.nextCmid();
    if (cmid !== undefined && this.outbox.entries.has(id)) {
      throw new UsageError(`${this.actor} already sent cmid "${id}": a new message needs a new cmid`);
    }
    this.record({ kind: 'send', t: this.now(), actor: this.actor, cmid: id, to, body });
    this.outbox.add(id, to, body, this.current?.alive === true);
    this.changed();
    return id;
  }

  /** Breaks client rules until `behave()` (loseState acts at once). */
  misbehave(flags: Misbehaviour): void {
    this.record({
      kind: 'misbehave',
      t: this.now(),
      actor: this.actor,
      what: 'misbehave',
      detail: { ...flags },
    });
    this.flags.set(flags);
    if (flags.loseState) this.loseState();
    this.changed();
  }

  /** Keeps every client rule again; acks that were withheld go out now. */
  behave(): void {
    this.record({ kind: 'misbehave', t: this.now(), actor: this.actor, what: 'behave' });
    const { wasWithholding } = this.flags.clear();
    if (wasWithholding) this.acker.schedule(true);
    this.changed();
  }

  /**
   * Reads `pages` sync pages of `limit` (0 = until `more` is false). Forward starts at the
   * watermark and acks as it goes (SYNC-3); backward starts at `maxSeq + 1` and continues from
   * where the previous backward page call stopped (a new device scrolling up, SYNC-2).
   */
  async page(direction: 'forward' | 'backward', limit: number, pages: number): Promise<PageResult> {
    const live = this.current;
    if (!live?.alive)
      throw new ConnectionClosedError(`${this.actor} is not connected: connect it before paging`);
    return this.withSync(live, async (ctx) => {
      if (direction === 'forward') return pageForward(ctx, { limit, maxPages: pages });
      const start = this.backwardCursor ?? Math.max(live.session.info.maxSeq, this.inbox.highest) + 1;
      const result = await pageBackward(ctx, start, limit, pages);
      // Exhausted history stays exhausted: the next call reads an empty page, not the top again.
      this.backwardCursor = result.next ?? 1;
      return result;
    });
  }

  /**
   * Sends one raw frame and reports the answer. `text` null sends nothing (AUTH-4: wait for
   * the hello timeout). With `beforeHello` it uses a fresh socket with no session (closed
   * afterwards); otherwise the bot's session (which reconnects on its own if the probe gets it
   * closed).
   */
  async raw(text: string | null, rid: string | null, options: RawOptions): Promise<RawAnswer> {
    if (options.beforeHello) {
      if (!this.driver.openRaw) {
        throw new UnsupportedError(
          `the ${this.driver.name} driver cannot open raw sockets; raw steps need ran`,
        );
      }
      const socket = await this.driver.openRaw(this.actor, this.history, options.timeoutMs);
      const data = text === null ? null : options.binary ? Buffer.from(text, 'utf8') : text;
      try {
        return await probeRawSocket(socket, data, rid, options);
      } finally {
        socket.close().catch(() => undefined);
        if (!(await within(socket.closed, 1000))) socket.abort();
      }
    }
    const live = this.current;
    if (!live?.alive)
      throw new ConnectionClosedError(`${this.actor} is not connected: connect it or use beforeHello`);
    return probeSession(live.session, text, rid, options);
  }

  /** Calls `listener` after every state change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Cancels every timer and closes the connection. The bot cannot be used afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wantOnline = false;
    this.relaunch = false;
    this.cancelReconnect();
    this.outbox.stop();
    this.acker.cancel();
    if (this.connecting) await this.connecting.catch(() => undefined);
    const live = this.current;
    if (live) await this.closeWithin(live);
  }

  // ── connection lifecycle ────────────────────────────────────────────────────────────────

  private open(): Promise<SessionInfo> {
    const p = this.login();
    this.connecting = p;
    const clear = () => {
      if (this.connecting === p) this.connecting = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async login(): Promise<SessionInfo> {
    const lastSeq = this.inbox.lastSeq();
    const options: ConnectOptions = {
      user: this.user,
      device: this.device,
      token: this.token,
      timeoutMs: this.client.requestTimeoutMs,
    };
    if (lastSeq !== undefined) options.lastSeq = lastSeq;
    const session = await this.driver.connect(this.actor, options, this.history);
    if (!this.wantOnline || this.stopped) {
      session.abort();
      await session.closed;
      throw new ConnectionClosedError(`${this.actor} was told to go offline while connecting`);
    }
    const info = session.info;
    this.lastInfo = info;
    // HELLO-1: with no lastSeq the server chose the starting point; messages below it are history.
    if (lastSeq === undefined) this.inbox.setBase(Math.max(0, info.maxSeq - info.pending));
    this.inbox.contiguous = info.caps.includes('contiguous-seq');
    this.outbox.receiptsExpected = info.caps.includes('delivered-receipt');
    // HELLO-2: lastSeq acts as an ack, so the server's cursor already stands there.
    this.acker.reset(lastSeq ?? this.inbox.watermark);
    const live: Live = { session, alive: true };
    this.current = live;
    this.reconnectFailures = 0;
    void session.closed.then((close) => this.onClosed(live, close.initiator, close.code));
    session.onNotification((n) => this.onNotification(live, n));
    this.outbox.connected();
    this.catchUp(live, info);
    this.changed();
    return info;
  }

  private onClosed(live: Live, initiator: string, code: number | undefined): void {
    live.alive = false;
    if (this.current !== live) return;
    this.current = undefined;
    this.outbox.disconnected();
    this.acker.cancel();
    this.changed();
    if (this.stopped || !this.wantOnline) return;
    if (initiator === 'crash' && this.relaunch) {
      // The app crashed and is reopened, store intact (crashBeforeCommit) or empty (loseState).
      this.relaunch = false;
      this.scheduleReconnect();
    } else if ((initiator === 'server' || initiator === 'network') && code !== CloseCode.replaced) {
      this.scheduleReconnect();
    } else {
      // Replaced by a newer session of the same device (AUTH-6): fighting it back is not ours.
      this.wantOnline = false;
      this.changed();
    }
  }

  private scheduleReconnect(): void {
    const base = this.client.reconnectDelayMs;
    const delay =
      this.reconnectFailures === 0
        ? base
        : Math.min(Math.max(base, 50) * 2 ** this.reconnectFailures, MAX_RECONNECT_DELAY_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.wantOnline || this.stopped || this.current) return;
      this.open().catch(() => {
        this.reconnectFailures++;
        if (this.wantOnline && !this.stopped && !this.current) this.scheduleReconnect();
      });
    }, delay);
  }

  private cancelReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private async closeWithin(live: Live): Promise<void> {
    live.session.close().catch(() => undefined);
    // A paused server never finishes the close handshake; give up on it and drop the socket.
    if (!(await within(live.session.closed, Math.min(this.client.requestTimeoutMs, 2000)))) {
      live.session.abort();
      await live.session.closed;
    }
  }

  /** The app dies now: nothing more reaches it from this connection. */
  private crash(live: Live, relaunch: boolean): void {
    this.relaunch = relaunch;
    live.alive = false;
    live.session.abort();
  }

  private loseState(): void {
    this.record({
      kind: 'misbehave',
      t: this.now(),
      actor: this.actor,
      what: 'lose-state',
      detail: { lastSeq: this.inbox.lastSeq(), committed: this.inbox.size },
    });
    this.inbox.reset();
    this.backwardCursor = undefined;
    // A reinstall restarts the app: reconnect without lastSeq.
    const live = this.current;
    if (live?.alive) this.crash(live, true);
  }

  // ── receiving ───────────────────────────────────────────────────────────────────────────

  private onNotification(live: Live, n: Notification): void {
    if (!live.alive) return;
    if (n.type === 'msg:N') {
      this.onPush(live, n.msg);
      return;
    }
    const entry = this.outbox.receipt(n.cmid, n.smid, n.status);
    if (!entry) return;
    this.record({
      kind: 'receipt',
      t: this.now(),
      actor: this.actor,
      cmid: n.cmid,
      smid: n.smid,
      status: n.status,
    });
    this.changed();
  }

  private onPush(live: Live, msg: StoredMessage): void {
    if (this.inbox.isDuplicate(msg, 'push')) {
      this.recordDedup(msg, 'push');
      // A re-push of something committed means our ack never arrived: ack again.
      this.acker.schedule(msg.seq <= this.inbox.watermark);
      return;
    }
    if (this.flags.takeCrash()) {
      this.record({
        kind: 'misbehave',
        t: this.now(),
        actor: this.actor,
        what: 'crash-before-commit',
        detail: { smid: msg.smid, cmid: msg.cmid, seq: msg.seq, left: this.flags.crashesPending },
      });
      this.crash(live, true);
      return;
    }
    this.commit(live, msg, 'push');
    this.acker.schedule();
    this.changed();
  }

  /** Pager hook: commit or drop a message read from a sync page. */
  private deliver(live: Live, msg: StoredMessage, via: Via): boolean {
    if (this.inbox.isDuplicate(msg, via)) {
      this.recordDedup(msg, 'sync');
      return false;
    }
    this.commit(live, msg, via);
    this.changed();
    return true;
  }

  private commit(live: Live, msg: StoredMessage, via: Via): void {
    const gap = this.inbox.commit(msg);
    this.record({
      kind: 'commit',
      t: this.now(),
      actor: this.actor,
      smid: msg.smid,
      cmid: msg.cmid,
      from: msg.from,
      seq: msg.seq,
      body: msg.body,
      via: via === 'push' ? 'push' : 'sync',
    });
    if (gap) {
      this.record({ kind: 'gap', t: this.now(), actor: this.actor, have: gap.have, saw: gap.saw });
      this.fetchGap(live, gap.saw);
    }
  }

  private recordDedup(msg: StoredMessage, via: 'push' | 'sync'): void {
    this.record({ kind: 'dedup', t: this.now(), actor: this.actor, smid: msg.smid, seq: msg.seq, via });
  }

  // ── sync: count-first catch-up, gap fetch ─────────────────────────────────────────────

  private catchUp(live: Live, info: SessionInfo): void {
    if (info.pending <= 0 || !info.caps.includes('paged-sync')) return;
    const window = info.limits?.pushWindow;
    // REPUSH-2 pushes a backlog within the push window by itself; above it we page (SYNC-6).
    if (info.caps.includes('server-repush') && (window === undefined || info.pending <= window)) return;
    this.backgroundSync(live, (ctx) => pageForward(ctx, { limit: this.client.pageSize, maxPages: 0 }), 1);
  }

  private fetchGap(live: Live, saw: number): void {
    if (!live.session.info.caps.includes('paged-sync')) return;
    this.backgroundSync(
      live,
      async (ctx) => {
        if (this.inbox.watermark >= saw) return;
        await pageForward(ctx, {
          limit: this.client.pageSize,
          maxPages: 0,
          done: () => this.inbox.watermark >= saw,
          stopWhenStale: true,
        });
      },
      1,
    );
  }

  /**
   * Runs paging in the background. A page whose answer never came (a lost sync:R or sync:A) is
   * asked again at once: the request timeout was the wait. Waiting a retransmit interval more
   * kept a seq gap open for 1.5 s, so every receipt behind it came after the sender's own timer
   * and the kit retransmitted whole bursts. Any other failure is retried with backoff.
   */
  private backgroundSync(live: Live, run: (ctx: PagerContext) => Promise<unknown>, attempt: number): void {
    this.withSync(live, run).catch((error: unknown) => {
      if (!live.alive || attempt >= this.client.maxAttempts) return;
      const delay =
        error instanceof TimeoutError
          ? 0
          : Math.min(
              this.client.retransmitMs * this.client.backoff ** (attempt - 1),
              this.client.maxRetransmitMs,
            );
      setTimeout(() => {
        if (live.alive) this.backgroundSync(live, run, attempt + 1);
      }, delay);
    });
  }

  /** Sync pages are read one request chain at a time per bot. */
  private withSync<T>(live: Live, run: (ctx: PagerContext) => Promise<T>): Promise<T> {
    const task = async (): Promise<T> => {
      if (!live.alive) throw new ConnectionClosedError(`${this.actor}: the connection ended before paging`);
      this.syncing++;
      this.changed();
      try {
        return await run(this.pagerContext(live));
      } finally {
        this.syncing--;
        this.changed();
      }
    };
    const result = this.syncChain.then(task, task);
    this.syncChain = result.catch(() => undefined);
    return result;
  }

  private pagerContext(live: Live): PagerContext {
    return {
      session: live.session,
      inbox: this.inbox,
      acker: this.acker,
      requestTimeoutMs: this.client.requestTimeoutMs,
      withheld: () => this.flags.withholdAcks,
      deliver: (msg, via) => live.alive && this.deliver(live, msg, via),
    };
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────────

  private transmit(entry: OutboxEntry, reason: TransmitReason, lateMs?: number): boolean {
    const live = this.current;
    if (!live?.alive) return false;
    if (Number.isNaN(entry.sentAt)) entry.sentAt = this.now();
    if (reason !== 'first') {
      const event: RetransmitEvent = {
        kind: 'retransmit',
        t: this.now(),
        actor: this.actor,
        cmid: entry.cmid,
        attempt: entry.attempts,
        reason,
      };
      if (lateMs !== undefined) event.lateMs = Math.round(lateMs);
      this.record(event);
    }
    // The entry itself carries cmid, to and body: no per-send copy on the hot path. Where the
    // driver answers without a promise, the bot's one sink takes it: no promise, reaction or
    // closure per send (measured on the bots bench below).
    const session = live.session;
    if (session.sendWith) session.sendWith(entry, this.client.requestTimeoutMs, this.answers, entry);
    else {
      session.send(entry, this.client.requestTimeoutMs).then(
        (a) => this.answers.accepted(entry, a),
        (error: unknown) => this.answers.failed(entry, error as Error),
      );
    }
    return true;
  }

  /** Where msg:A (or the request's failure) for one of our entries arrives. */
  private readonly answers: SendSink<OutboxEntry> = {
    accepted: (entry, accepted) => {
      if (this.outbox.accepted(accepted.cmid, accepted.smid, entry)) this.changed();
    },
    failed: (entry, error) => {
      // A lost or late msg:A is handled by the retransmit timer; only a refusal is final.
      if (error instanceof ServerRejectedError && this.outbox.rejected(entry.cmid)) this.changed();
    },
  };

  private sendAck(upTo: number): boolean {
    const live = this.current;
    if (!live?.alive) return false;
    // A lost ack:A changes nothing: the next ack, lastSeq or the server's re-push covers it, so
    // where the driver can, the ack waits for no answer (no promise, reaction or deadline).
    const session = live.session;
    if (session.ackQuietly) session.ackQuietly(upTo);
    else session.ack(upTo, this.client.requestTimeoutMs).catch(() => undefined);
    return true;
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────

  private now(): number {
    return this.history.now();
  }

  private record(event: HistoryEvent): void {
    this.history.append(event);
  }

  private changed(): void {
    // Listeners may act on the bot (a runner sends the next message from onChange); a change
    // they cause is announced after the current round, never by recursion.
    if (this.notifying) {
      this.dirty = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.dirty = false;
        // A snapshot: listeners may unsubscribe while being called.
        const listeners = this.listeners;
        for (let i = 0; i < listeners.length; i++) {
          const listener = listeners[i] as () => void;
          try {
            listener();
          } catch (error) {
            // A listener's bug must not corrupt the bot's state machine mid-frame.
            process.emitWarning(`onChange listener of ${this.actor} threw: ${String(error)}`);
          }
        }
      } while (this.dirty);
    } finally {
      this.notifying = false;
    }
  }

  private assertRunning(what: string): void {
    if (this.stopped) throw new UsageError(`${this.actor} is stopped: cannot ${what}`);
  }
}
