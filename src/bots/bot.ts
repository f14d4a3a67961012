/**
 * One bot = one actor ("user/device"): the client half of the delivery model (docs/protocol.md
 * section 12) on top of a driver. It sends with a waiting-for-ack queue (outbox), commits
 * received messages to a local store before acking them (inbox, acker), fetches seq gaps and
 * catches up count-first with paged sync (pager), reconnects on its own when the server or the
 * network drops it, and can be told to misbehave. Every decision is appended to the history.
 *
 * This file is the bot's public face and its connection lifecycle (login, close, reconnect,
 * crash); sending.ts, receiving.ts and paged-sync.ts are its sides, bot-core.ts what they share.
 *
 * @example
 * const bot = new Bot({ actor: 'bob/phone', user: 'bob', device: 'phone', token, driver, history,
 *   client: resolveClientOptions() });
 * await bot.connect({ state: 'keep' });
 * const cmid = bot.send('alice', 'hello');
 * const off = bot.onChange(() => { if (bot.state.outbox.get(cmid)?.status === 'delivered') … });
 */
import type { ConnectOptions, Driver, SessionInfo } from '../drivers/driver.js';
import { ConnectionClosedError, UnsupportedError, UsageError } from '../errors.js';
import type { ActorId, History } from '../history/events.js';
import { CloseCode } from '../protocol/frames.js';
import type { ClientOptions } from '../scenarios/types.js';
import { BotCore, type Live } from './bot-core.js';
import { PagedSync } from './paged-sync.js';
import { pageBackward, pageForward } from './pager.js';
import { probeRawSocket, probeSession, within } from './raw-probe.js';
import { Receiving } from './receiving.js';
import { Reconnector } from './reconnect.js';
import { Sending } from './sending.js';
import type { BotOptions, BotState, Misbehaviour, PageResult, RawAnswer, RawOptions } from './types.js';

export class Bot {
  readonly actor: ActorId;
  readonly user: string;
  readonly device: string;
  private readonly driver: Driver;
  private readonly history: History;
  private readonly client: Readonly<ClientOptions>;
  private readonly token: string;
  private readonly core: BotCore;
  private readonly sending: Sending;
  private readonly receiving: Receiving;
  private readonly sync: PagedSync;
  private connecting: Promise<SessionInfo> | undefined;
  private lastInfo: SessionInfo | undefined;
  private wantOnline = false;
  private stopped = false;
  /** The next crash-close relaunches the app (crashBeforeCommit, loseState). */
  private relaunch = false;
  private readonly reconnect: Reconnector;
  /** Where the next backward page starts (a new device reading its history on demand). */
  private backwardCursor: number | undefined;

  constructor(options: BotOptions) {
    this.actor = options.actor;
    this.user = options.user;
    this.device = options.device;
    this.token = options.token;
    this.driver = options.driver;
    this.history = options.history;
    this.client = options.client;
    this.core = new BotCore(this.actor, this.history, this.client);
    this.sending = new Sending(this.core);
    this.receiving = new Receiving(this.core, {
      crash: (live, relaunch) => this.crash(live, relaunch),
      fetchGap: (live, saw) => this.sync.fetchGap(live, saw),
    });
    this.sync = new PagedSync(this.core, this.receiving);
    this.reconnect = new Reconnector(this.client.reconnectDelayMs, () => this.history.now());
  }

  /**
   * The bot's state, read live: one object whose members always reflect the current values, so
   * a runner checking conditions on every change allocates nothing.
   */
  get state(): BotState {
    return this.view;
  }

  private readonly view: BotState = ((bot: Bot): BotState => ({
    get connected() {
      return bot.core.live !== undefined;
    },
    get online() {
      return bot.wantOnline;
    },
    get lastSession() {
      return bot.lastInfo;
    },
    get outbox() {
      return bot.sending.outbox.entries;
    },
    get counts() {
      return bot.sending.outbox.counts;
    },
    get committedUpTo() {
      return bot.receiving.inbox.watermark;
    },
    get committed() {
      return bot.receiving.inbox.size;
    },
    get store() {
      return bot.receiving.inbox.store;
    },
    committedEver: (smid) => bot.receiving.inbox.committedEver(smid),
    get syncing() {
      return bot.sync.syncing;
    },
    get reconnectFailure() {
      return bot.reconnect.lastFailure;
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
    const live = this.core.live;
    if (live) {
      if (options.state === 'keep') return live.session.info;
      await this.disconnect('clean');
    }
    this.cancelReconnect();
    if (options.state === 'none') {
      this.receiving.inbox.reset();
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
    const live = this.core.current;
    if (!live) return;
    if (mode === 'clean') {
      if (live.alive) this.receiving.acker.flushNow();
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
    const outbox = this.sending.outbox;
    // A cmid the outbox makes is new by construction; only a caller's choice is looked up.
    const id = cmid ?? outbox.nextCmid();
    if (cmid !== undefined && outbox.entries.has(id)) {
      throw new UsageError(`${this.actor} already sent cmid "${id}": a new message needs a new cmid`);
    }
    this.sending.send(id, to, body);
    return id;
  }

  /** Breaks client rules until `behave()` (loseState acts at once). */
  misbehave(flags: Misbehaviour): void {
    const core = this.core;
    core.record({
      kind: 'misbehave',
      t: core.now(),
      actor: this.actor,
      what: 'misbehave',
      detail: { ...flags },
    });
    core.flags.set(flags);
    if (flags.loseState) this.loseState();
    core.changed();
  }

  /** Keeps every client rule again; acks that were withheld go out now. */
  behave(): void {
    const core = this.core;
    core.record({ kind: 'misbehave', t: core.now(), actor: this.actor, what: 'behave' });
    const { wasWithholding } = core.flags.clear();
    if (wasWithholding) this.receiving.acker.schedule(true);
    core.changed();
  }

  /**
   * Reads `pages` sync pages of `limit` (0 = until `more` is false). Forward starts at the
   * watermark and acks as it goes (SYNC-3); backward starts at `maxSeq + 1` and continues from
   * where the previous backward page call stopped (a new device scrolling up, SYNC-2).
   */
  async page(direction: 'forward' | 'backward', limit: number, pages: number): Promise<PageResult> {
    const live = this.core.live;
    if (!live) throw new ConnectionClosedError(`${this.actor} is not connected: connect it before paging`);
    return this.sync.run(live, async (ctx) => {
      if (direction === 'forward') return pageForward(ctx, { limit, maxPages: pages });
      const start =
        this.backwardCursor ?? Math.max(live.session.info.maxSeq, this.receiving.inbox.highest) + 1;
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
    const live = this.core.live;
    if (!live)
      throw new ConnectionClosedError(`${this.actor} is not connected: connect it or use beforeHello`);
    return probeSession(live.session, text, rid, options);
  }

  /** Calls `listener` after every state change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    return this.core.onChange(listener);
  }

  /** Cancels every timer and closes the connection. The bot cannot be used afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wantOnline = false;
    this.relaunch = false;
    this.cancelReconnect();
    this.sending.outbox.stop();
    this.receiving.acker.cancel();
    if (this.connecting) await this.connecting.catch(() => undefined);
    const live = this.core.current;
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
    const { inbox, acker } = this.receiving;
    const outbox = this.sending.outbox;
    const lastSeq = inbox.lastSeq();
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
    if (lastSeq === undefined) inbox.setBase(Math.max(0, info.maxSeq - info.pending));
    inbox.contiguous = info.caps.includes('contiguous-seq');
    outbox.receiptsExpected = info.caps.includes('delivered-receipt');
    // HELLO-2: lastSeq acts as an ack, so the server's cursor already stands there.
    acker.reset(lastSeq ?? inbox.watermark);
    const live: Live = { session, alive: true };
    this.core.current = live;
    this.reconnect.connected();
    void session.closed.then((close) => this.onClosed(live, close.initiator, close.code));
    session.onNotification((n) => {
      if (!live.alive) return;
      if (n.type === 'msg:N') this.receiving.onPush(live, n.msg);
      else this.sending.receipt(n);
    });
    outbox.connected();
    this.sync.catchUp(live, info);
    this.core.changed();
    return info;
  }

  private onClosed(live: Live, initiator: string, code: number | undefined): void {
    live.alive = false;
    const core = this.core;
    if (core.current !== live) return;
    core.current = undefined;
    this.sending.outbox.disconnected();
    this.receiving.acker.cancel();
    core.changed();
    if (this.stopped || !this.wantOnline) return;
    if (initiator === 'crash' && this.relaunch) {
      // The app crashed and is reopened, store intact (crashBeforeCommit) or empty (loseState).
      this.relaunch = false;
      this.scheduleReconnect();
    } else if ((initiator === 'server' || initiator === 'network') && code !== CloseCode.replaced) {
      this.scheduleReconnect();
    } else {
      // Replaced by a newer session of the same device (AUTH-6): fighting it back is not ours. Or
      // a crash that keeps the app down (crashInSync) until the next connect step.
      this.wantOnline = false;
      core.changed();
    }
  }

  private scheduleReconnect(): void {
    this.reconnect.schedule(
      () => this.open(),
      () => this.wantOnline && !this.stopped && !this.core.current,
    );
  }

  private cancelReconnect(): void {
    this.reconnect.cancel();
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
    const core = this.core;
    const inbox = this.receiving.inbox;
    core.record({
      kind: 'misbehave',
      t: core.now(),
      actor: this.actor,
      what: 'lose-state',
      detail: { lastSeq: inbox.lastSeq(), committed: inbox.size },
    });
    inbox.reset();
    this.backwardCursor = undefined;
    // A reinstall restarts the app: reconnect without lastSeq.
    const live = core.live;
    if (live) this.crash(live, true);
  }

  private assertRunning(what: string): void {
    if (this.stopped) throw new UsageError(`${this.actor} is stopped: cannot ${what}`);
  }
}
