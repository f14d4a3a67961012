/**
 * A logged-in RAN/1 session: requests with per-connection rids, answers correlated by rid,
 * notifications fanned out in arrival order. Created by RanDriver.connect after hello:A.
 */

import { AuthError, ConnectionClosedError, ServerRejectedError } from '../../errors.js';
import type { ActorId, FrameEvent, History } from '../../history/events.js';
import type { AckA, Cap, Frame, HelloA, MsgA, PingA, SyncA, SyncR } from '../../protocol/frames.js';
import { clientRid, recordSession } from '../connections.js';
import { DEFAULT_TIMEOUT_MS } from '../deadline.js';
import type {
  Accepted,
  CloseInfo,
  ConnectOptions,
  DriverSession,
  Notification,
  SendSink,
  SessionInfo,
  SessionWatcher,
  SyncPage,
  SyncRequest,
} from '../driver.js';
import { type HubTarget, NotificationHub } from '../notification-hub.js';
import { Requests, type Sink } from './requests.js';
import { type FrameOwner, frameOf, type Wire } from './wire.js';

/** Deadline for requests whose caller gives none. */
export const DEFAULT_REQUEST_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;

const toAccepted = (a: MsgA): Accepted => ({ cmid: a.cmid, smid: a.smid, ts: a.ts, dup: a.dup === true });
const toCursor = (a: AckA): number => a.upTo;
const toPage = (a: SyncA): SyncPage => ({ msgs: a.msgs, more: a.more, maxSeq: a.maxSeq });

/**
 * Every session of a server claims the same caps and limits: one frozen copy for all of them
 * (a limits object and a caps array per session measured ~350 B for each logged-in load bot).
 * Keyed by what hello:A said and what the driver can carry; a handful of entries at most.
 */
const claims = new Map<string, { caps: readonly Cap[]; limits: HelloA['limits'] }>();
const MAX_CLAIMS = 64;

function sharedClaims(
  driverCaps: readonly Cap[],
  a: HelloA,
): { caps: readonly Cap[]; limits: HelloA['limits'] } {
  const key = `${driverCaps.join(',')}|${JSON.stringify(a.caps)}|${JSON.stringify(a.limits)}`;
  let c = claims.get(key);
  if (c === undefined) {
    const claimed = new Set<Cap>(a.caps);
    c = {
      caps: Object.freeze(driverCaps.filter((x) => claimed.has(x))),
      limits: Object.freeze({ ...a.limits }),
    };
    if (claims.size >= MAX_CLAIMS) claims.delete(claims.keys().next().value as string);
    claims.set(key, c);
  }
  return c;
}

export class RanSession implements DriverSession, FrameOwner, HubTarget<Notification> {
  /** Who watches it (watch), and how it ended once it has. */
  private watcher: SessionWatcher | undefined;
  private closedWith: CloseInfo | undefined;
  private readonly requests = new Requests();
  /**
   * Made when a caller subscribes (onNotification, notifications) or a notification comes before
   * anyone listens: a watcher (watch) is called directly, and a hub per session was 80 B of each
   * idle load bot (heap snapshots of 400 and 2,000 bots).
   */
  private hub: NotificationHub<Notification> | undefined;
  private nextRid = 0;
  private sessionInfo: SessionInfo | undefined;
  /** The sender of the last push and the receiver of the last receipt (see onFrame). */
  private lastFrom: string | undefined;
  private lastTo: string | undefined;

  constructor(
    private readonly wire: Wire,
    private readonly url: string,
  ) {
    wire.owner = this;
  }

  /**
   * The wire's own promise (made when first asked for), its requests and notifications ended by
   * onClose first: a derived `then` was a closure, context, reaction and promise per session
   * (~190 B of each idle load bot in heap snapshots of 400 and 2,000 bots).
   */
  get closed(): Promise<CloseInfo> {
    return this.wire.closed;
  }

  /** The wire ended (FrameOwner): every request fails, notifications end, the watcher hears. */
  onClose(info: CloseInfo): void {
    this.closedWith = info;
    this.requests.close(info);
    this.hub?.end();
    this.watcher?.sessionClosed(this, info);
  }

  get actor(): ActorId {
    return this.wire.actor;
  }

  get conn(): number {
    return this.wire.conn;
  }

  get info(): SessionInfo {
    if (!this.sessionInfo) throw new ConnectionClosedError(`session of ${this.actor} has not logged in`);
    return this.sessionInfo;
  }

  /**
   * Sends hello:R and waits for hello:A (count first, AUTH-3). Records the session event.
   * `driverCaps` bounds what the session may claim.
   */
  async login(options: ConnectOptions, driverCaps: readonly Cap[], history: History): Promise<SessionInfo> {
    const rid = this.rid();
    const hello: Frame = {
      type: 'hello:R',
      rid,
      user: options.user,
      device: options.device,
      token: options.token,
    };
    if (options.lastSeq !== undefined) hello.lastSeq = options.lastSeq;
    this.wire.sendFrame(hello);
    const answer = this.requests.wait<HelloA>(
      rid,
      'hello:A',
      'hello:R',
      `of ${options.user}/${options.device} at ${this.url}`,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      undefined,
      hello,
    );
    let a: HelloA;
    try {
      a = await answer;
    } catch (error) {
      if (error instanceof ServerRejectedError && error.wireCode === 'auth-failed') {
        throw new AuthError(
          `${this.url} refused the token of user ${options.user} (AUTH-2). Check the token or the server's --hmac-secret.`,
          { cause: error },
        );
      }
      if (error instanceof ConnectionClosedError && error.closeCode === 4401) {
        throw new AuthError(`${this.url} closed the connection with 4401: authentication failed`, {
          cause: error,
        });
      }
      throw error;
    }
    const shared = sharedClaims(driverCaps, a);
    const info: SessionInfo = {
      // The strings we sent, when the server echoes them: one copy per bot, not two.
      user: a.user === options.user ? options.user : a.user,
      device: a.device === options.device ? options.device : a.device,
      maxSeq: a.maxSeq,
      pending: a.pending,
      caps: shared.caps,
      limits: shared.limits,
    };
    this.sessionInfo = info;
    recordSession(history, this.actor, this.conn, info, options.lastSeq);
    return info;
  }

  // Each request is sent before its wait is registered: the answer cannot arrive in between (it
  // needs a later event-loop turn), and a send that throws leaves no orphaned wait behind.

  send(msg: { cmid: string; to: string; body: string }, timeoutMs?: number): Promise<Accepted> {
    const rid = this.rid();
    const frame: Frame = { type: 'msg:R', rid, cmid: msg.cmid, to: msg.to, body: msg.body };
    this.wire.sendFrame(frame);
    return this.requests.wait(
      rid,
      'msg:A',
      'msg:R',
      msg.cmid,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      toAccepted,
      frame,
    );
  }

  sendWith<C>(
    msg: { cmid: string; to: string; body: string },
    timeoutMs: number | undefined,
    sink: SendSink<C>,
    ctx: C,
  ): void {
    const rid = this.rid();
    const frame: Frame = { type: 'msg:R', rid, cmid: msg.cmid, to: msg.to, body: msg.body };
    this.wire.sendFrame(frame);
    this.requests.waitWith(
      rid,
      'msg:A',
      'msg:R',
      msg.cmid,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      toAccepted,
      sink as Sink,
      ctx,
      frame,
    );
  }

  ackQuietly(upTo: number): void {
    // No wait registered: the ack:A is recorded by the wire and, answering nothing, dropped.
    this.wire.sendFrame({ type: 'ack:R', rid: this.rid(), upTo });
  }

  ack(upTo: number, timeoutMs?: number): Promise<number> {
    const rid = this.rid();
    const frame: Frame = { type: 'ack:R', rid, upTo };
    this.wire.sendFrame(frame);
    return this.requests.wait(
      rid,
      'ack:A',
      'ack:R',
      `upTo ${upTo}`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      toCursor,
      frame,
    );
  }

  sync(req: SyncRequest, timeoutMs?: number): Promise<SyncPage> {
    const rid = this.rid();
    const frame: SyncR = { type: 'sync:R', rid, limit: req.limit };
    if (req.after !== undefined) frame.after = req.after;
    if (req.before !== undefined) frame.before = req.before;
    if (req.ackUpTo !== undefined) frame.ackUpTo = req.ackUpTo;
    this.wire.sendFrame(frame);
    const where = req.after !== undefined ? `after ${req.after}` : `before ${req.before}`;
    return this.requests.wait(
      rid,
      'sync:A',
      'sync:R',
      where,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      toPage,
      frame,
    );
  }

  async ping(timeoutMs?: number): Promise<number> {
    const rid = this.rid();
    const start = performance.now();
    const frame: Frame = { type: 'ping:R', rid };
    this.wire.sendFrame(frame);
    await this.requests.wait<PingA>(
      rid,
      'ping:A',
      'ping:R',
      '',
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      undefined,
      frame,
    );
    return performance.now() - start;
  }

  sendRaw(
    text: string,
    rid: string | null,
    timeoutMs?: number,
  ): Promise<Record<string, unknown> | undefined> {
    this.wire.sendRaw(text);
    return this.requests.waitRaw(rid, timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  notifications(): AsyncIterable<Notification> {
    return this.hubOf().iterate();
  }

  onNotification(listener: (n: Notification) => void): () => void {
    return this.hubOf().on(listener);
  }

  watch(watcher: SessionWatcher): void {
    this.watcher = watcher;
    // Notifications that came first wait in a hub: the watcher takes them, and all later ones,
    // from there.
    this.hub?.attach(this);
    const closed = this.closedWith;
    if (closed !== undefined) queueMicrotask(() => watcher.sessionClosed(this, closed));
  }

  private hubOf(): NotificationHub<Notification> {
    if (this.hub === undefined) {
      const hub = new NotificationHub<Notification>();
      this.hub = hub;
      if (this.watcher !== undefined) hub.attach(this);
      if (this.closedWith !== undefined) hub.end();
    }
    return this.hub;
  }

  /** A notification: to the hub when there is one, else to the watcher, else held in a new hub. */
  private notify(n: Notification): void {
    if (this.hub !== undefined) this.hub.push(n);
    else if (this.watcher !== undefined) this.watcher.notified(this, n);
    else this.hubOf().push(n);
  }

  /** The hub's notifications (HubTarget), to the watcher. */
  take(n: Notification): void {
    this.watcher?.notified(this, n);
  }

  close(): Promise<void> {
    return this.wire.close();
  }

  abort(): void {
    this.wire.abort();
  }

  private rid(): string {
    return clientRid(++this.nextRid);
  }

  /** The wire's inbound frames (FrameOwner). */
  onFrame(f: FrameEvent): void {
    const type = f.type;
    if (type === undefined) return;
    if (type.charCodeAt(type.length - 1) === 65 /* 'A' */) {
      this.requests.settle(f);
      return;
    }
    // A malformed notification is evidence (recorded by the wire), never input to the bot.
    const frame = frameOf(f);
    if (!frame) return;
    if (frame.type === 'msg:N') {
      // One copy of the names every push repeats, for the history keeps every frame: the
      // receiver is this session's user, the sender mostly the one of the push before. Only
      // equal strings are swapped.
      const user = this.sessionInfo?.user;
      if (frame.to === user) frame.to = user;
      if (frame.from === this.lastFrom) frame.from = this.lastFrom;
      else this.lastFrom = frame.from;
      // The frame is a StoredMessage plus `type` and `attempt`; handing it on uncopied saves an
      // allocation per push (nothing downstream mutates it).
      this.notify({ type: 'msg:N', msg: frame, attempt: frame.attempt, t: f.t });
    } else if (frame.type === 'ack:N') {
      // A receipt names the receiver of our message; runs of them name the same one.
      if (frame.to === this.lastTo) frame.to = this.lastTo;
      else this.lastTo = frame.to;
      this.notify({
        type: 'ack:N',
        cmid: frame.cmid,
        smid: frame.smid,
        to: frame.to,
        status: frame.status,
        t: f.t,
      });
    }
  }
}
