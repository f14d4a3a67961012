/**
 * A logged-in RAN/1 session: requests with per-connection rids, answers correlated by rid,
 * notifications fanned out in arrival order. Created by RanDriver.connect after hello:A.
 */

import { AuthError, ConnectionClosedError, ServerRejectedError } from '../../errors.js';
import type { ActorId, History, SessionEvent } from '../../history/events.js';
import type {
  AckA,
  Cap,
  Frame,
  HelloA,
  MsgA,
  MsgN,
  PingA,
  StoredMessage,
  SyncA,
  SyncR,
} from '../../protocol/frames.js';
import type {
  Accepted,
  CloseInfo,
  ConnectOptions,
  DriverSession,
  Notification,
  SessionInfo,
  SyncPage,
  SyncRequest,
} from '../driver.js';
import { NotificationHub } from '../notification-hub.js';
import { Requests } from './requests.js';
import type { InboundFrame, Wire } from './wire.js';

/** Deadline for requests whose caller gives none. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

function storedMessage(n: MsgN): StoredMessage {
  const msg: StoredMessage = {
    smid: n.smid,
    cmid: n.cmid,
    from: n.from,
    to: n.to,
    body: n.body,
    seq: n.seq,
    ts: n.ts,
  };
  if (n.prevSeq !== undefined) msg.prevSeq = n.prevSeq;
  return msg;
}

export class RanSession implements DriverSession {
  readonly closed: Promise<CloseInfo>;
  private readonly requests = new Requests();
  private readonly hub = new NotificationHub<Notification>();
  private nextRid = 0;
  private sessionInfo: SessionInfo | undefined;

  constructor(
    private readonly wire: Wire,
    private readonly url: string,
  ) {
    wire.onFrame = (f) => this.onFrame(f);
    this.closed = wire.closed.then((info) => {
      this.requests.close(info);
      this.hub.end();
      return info;
    });
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
    const answer = this.requests.wait<HelloA>(
      rid,
      'hello:A',
      `hello:R of ${options.user}/${options.device} at ${this.url}`,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.wire.sendFrame(hello);
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
    const claimed = new Set<Cap>(a.caps);
    const info: SessionInfo = {
      user: a.user,
      device: a.device,
      maxSeq: a.maxSeq,
      pending: a.pending,
      caps: driverCaps.filter((c) => claimed.has(c)),
      limits: a.limits,
    };
    this.sessionInfo = info;
    const event: SessionEvent = {
      kind: 'session',
      t: history.now(),
      actor: this.actor,
      conn: this.conn,
      maxSeq: info.maxSeq,
      pending: info.pending,
      caps: [...info.caps],
      limits: info.limits,
      lastSeq: options.lastSeq,
    };
    history.append(event);
    return info;
  }

  async send(msg: { cmid: string; to: string; body: string }, timeoutMs?: number): Promise<Accepted> {
    const rid = this.rid();
    const answer = this.requests.wait<MsgA>(
      rid,
      'msg:A',
      `msg:R ${msg.cmid} (rid ${rid})`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.wire.sendFrame({ type: 'msg:R', rid, cmid: msg.cmid, to: msg.to, body: msg.body });
    const a = await answer;
    return { cmid: a.cmid, smid: a.smid, ts: a.ts, dup: a.dup === true };
  }

  async ack(upTo: number, timeoutMs?: number): Promise<number> {
    const rid = this.rid();
    const answer = this.requests.wait<AckA>(
      rid,
      'ack:A',
      `ack:R upTo ${upTo} (rid ${rid})`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.wire.sendFrame({ type: 'ack:R', rid, upTo });
    return (await answer).upTo;
  }

  async sync(req: SyncRequest, timeoutMs?: number): Promise<SyncPage> {
    const rid = this.rid();
    const frame: SyncR = { type: 'sync:R', rid, limit: req.limit };
    if (req.after !== undefined) frame.after = req.after;
    if (req.before !== undefined) frame.before = req.before;
    if (req.ackUpTo !== undefined) frame.ackUpTo = req.ackUpTo;
    const where = req.after !== undefined ? `after ${req.after}` : `before ${req.before}`;
    const answer = this.requests.wait<SyncA>(
      rid,
      'sync:A',
      `sync:R ${where} (rid ${rid})`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.wire.sendFrame(frame);
    const a = await answer;
    return { msgs: a.msgs, more: a.more, maxSeq: a.maxSeq };
  }

  async ping(timeoutMs?: number): Promise<number> {
    const rid = this.rid();
    const answer = this.requests.wait<PingA>(
      rid,
      'ping:A',
      `ping:R (rid ${rid})`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    const start = performance.now();
    this.wire.sendFrame({ type: 'ping:R', rid });
    await answer;
    return performance.now() - start;
  }

  sendRaw(
    text: string,
    rid: string | null,
    timeoutMs?: number,
  ): Promise<Record<string, unknown> | undefined> {
    const answer = this.requests.waitRaw(
      rid,
      `raw frame (rid ${rid === null ? 'null' : rid})`,
      timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.wire.sendRaw(text);
    return answer;
  }

  notifications(): AsyncIterable<Notification> {
    return this.hub.iterate();
  }

  onNotification(listener: (n: Notification) => void): () => void {
    return this.hub.on(listener);
  }

  close(): Promise<void> {
    return this.wire.close();
  }

  abort(): void {
    this.wire.abort();
  }

  private rid(): string {
    // Short, and unlike any rid a probe in a suite would pick ("r1", "p1").
    return `~${(++this.nextRid).toString(36)}`;
  }

  private onFrame(f: InboundFrame): void {
    if (f.type === undefined) return;
    if (f.type.endsWith(':A')) {
      this.requests.settle(f);
      return;
    }
    // A malformed notification is evidence (recorded by the wire), never input to the bot.
    const frame = f.frame;
    if (!frame) return;
    if (frame.type === 'msg:N') {
      this.hub.push({ type: 'msg:N', msg: storedMessage(frame), attempt: frame.attempt, t: f.t });
    } else if (frame.type === 'ack:N') {
      this.hub.push({
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
