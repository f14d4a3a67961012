/**
 * One XMPP stream of one user/resource, mapped onto the R/A/N model (docs/drivers.md):
 *
 * | RAN/1    | XMPP                                                                     |
 * | -------- | ------------------------------------------------------------------------ |
 * | hello:R/A| resource bind iq and its result (or XEP-0198 <resume/> and <resumed/>)   |
 * | msg:R    | <message type=chat id=cmid> with <request/> (XEP-0184), <origin-id/>     |
 * | msg:A    | the XEP-0198 <a h/> whose h covers that message                          |
 * | msg:N    | a <message/> with a body to this user (live, offline, or resent)        |
 * | ack:R    | the receiver's <received/> (XEP-0184), sent when the bot acks            |
 * | ack:A    | the <a h/> covering that receipt                                         |
 * | ack:N    | the <received/> arriving at the sender (status delivered)               |
 * | sync:R/A | a XEP-0313 MAM query and its <fin/>                                      |
 * | ping:R/A | XEP-0199 ping iq and its result                                          |
 *
 * Everything else on the stream (SASL, features, presence, <r/>, <enable/>…) is recorded with
 * `type: undefined` and `fields.xmpp` naming the element. Inbound elements are recorded by a
 * listener placed before xmpp.js's own, so the history has them before xmpp.js reacts (and an
 * <a h/> can be matched against the queue before xmpp.js shifts it).
 *
 * This file is the session's lifecycle and requests; StreamRecorder turns elements into frames,
 * SmAcks and IqRequests keep what the requests wait for.
 */

import { type Client, client as createClient, type Element, xml } from '@xmpp/client';
import { ConnectionClosedError } from '../../errors.js';
import type { ActorId, History } from '../../history/events.js';
import type { Cap, FrameType } from '../../protocol/frames.js';
import { clientRid } from '../connections.js';
import { CLOSE_GRACE_MS, DEFAULT_TIMEOUT_MS, deadline, deferred } from '../deadline.js';
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
import { type ConnectionLog, openConnectionLog } from '../kit.js';
import { NotificationHub } from '../notification-hub.js';
import type { XmppActorState } from './actor-state.js';
import { IqRequests } from './iq-requests.js';
import { loginError } from './login-error.js';
import { mamQuery } from './mam.js';
import { SmAcks } from './sm-acks.js';
import { chatMessage, localOf, NS, receipt } from './stanzas.js';
import { StreamRecorder } from './stream-recorder.js';
import type { XmppTarget } from './target.js';

export class XmppSession implements DriverSession {
  readonly conn: number;
  readonly closed: Promise<CloseInfo>;
  private readonly xmpp: Client;
  private readonly log: ConnectionLog;
  private readonly hub = new NotificationHub<Notification>();
  private readonly closing = deferred<CloseInfo>();
  private readonly acks: SmAcks;
  private readonly iqs = new IqRequests();
  private readonly stream: StreamRecorder;
  private sessionInfo: SessionInfo | undefined;
  private nextId = 0;
  private readonly resumedSignal = deferred<void>();
  private initiator: CloseInfo['initiator'] | undefined;
  private socketError: Error | undefined;
  private isClosed = false;

  constructor(
    readonly actor: ActorId,
    private readonly user: string,
    private readonly device: string,
    private readonly target: XmppTarget,
    private readonly state: XmppActorState,
    history: History,
    password: string,
  ) {
    this.log = openConnectionLog(history, actor);
    this.conn = this.log.conn;
    this.closed = this.closing.promise;
    const mechanism = target.sasl;
    this.xmpp = createClient({
      service: target.url,
      domain: target.domain,
      resource: device,
      username: user,
      credentials: (authenticate) => authenticate({ username: user, password }, mechanism),
    });
    // Reconnecting is the bot's decision (a new session, a new conn number), never the library's.
    this.xmpp.reconnect.stop();
    const sm = this.xmpp.streamManagement;
    // Ask for <a/> right after each burst of sends, not 250 ms later: msg:A latency is measured.
    sm.requestAckDebounce = 0;
    sm.timeout = target.smTimeout;
    const resume = state.resume;
    state.resume = undefined;
    if (resume) {
      Object.assign(sm, {
        id: resume.id,
        inbound: resume.inbound,
        outbound: resume.outbound,
        outbound_q: resume.queue,
      });
    }
    this.acks = new SmAcks(sm);
    this.stream = new StreamRecorder({
      actor,
      user,
      device,
      me: `${user}@${target.domain}`,
      target,
      state,
      hub: this.hub,
      log: this.log,
      now: () => history.now(),
      acks: this.acks,
      iqs: this.iqs,
      rid: () => this.rid(),
    });
    // Emitted once xmpp.js has resent what the old stream left unacknowledged.
    sm.on('resumed', () => this.resumedSignal.resolve());
    this.xmpp.prependListener('element', (el: Element) => this.stream.onElement(el));
    this.xmpp.on('send', (el: Element) => this.stream.onSend(el));
    this.xmpp.on('error', (error: Error) => {
      if ((error as { code?: unknown }).code !== undefined) this.socketError ??= error;
    });
    this.xmpp.on('connect', () => this.xmpp.socket?.setNoDelay(true));
    this.xmpp.on('close', () => {
      // The stream ended before the socket: the server closed it (unless we asked).
      this.stream.serverClose ??= this.initiator ? undefined : 'server closed the stream';
    });
    this.xmpp.on('disconnect', () => this.finish());
  }

  get info(): SessionInfo {
    if (!this.sessionInfo) throw new ConnectionClosedError(`XMPP session of ${this.actor} has not logged in`);
    return this.sessionInfo;
  }

  /**
   * Opens the stream, authenticates, binds the resource (or resumes the stream the network broke),
   * enables XEP-0198 and sends initial presence — without it Prosody neither routes messages to
   * the resource nor hands over what mod_offline stored. Records the session event.
   */
  async login(options: ConnectOptions, caps: readonly Cap[]): Promise<SessionInfo> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      const started = startStream(this.xmpp, this.target.url, this.target.domain);
      started.catch(() => {});
      // After a resumption xmpp.js goes online without emitting 'online', so start() never settles.
      await deadline(
        Promise.race([started, this.resumedSignal.promise]),
        timeoutMs,
        `XMPP login of ${this.actor} at ${this.target.url}`,
      );
      if (!this.stream.resumed) {
        if (this.stream.smOffered) {
          await deadline(this.stream.smSettled.promise, timeoutMs, `<enabled/> for ${this.actor}`);
        }
        await this.sendRecorded(xml('presence'), undefined, {});
      }
    } catch (error) {
      const mapped = loginError(error, this.stream.saslFailure, this.target, this.user, this.actor);
      this.initiator ??= 'client';
      this.xmpp.socket?.destroy();
      await this.closed;
      throw mapped;
    }
    const info: SessionInfo = {
      user: this.user,
      device: this.device,
      // No inbox seq on XMPP: the highest seq the driver has given the user's messages so far.
      maxSeq: this.state.seqs.lastSeq,
      pending: 0,
      caps,
      limits: undefined,
    };
    this.sessionInfo = info;
    this.log.session(info, options.lastSeq);
    return info;
  }

  /**
   * Sends the chat message and resolves when the server's <a h/> covers it (msg:A). XMPP has no
   * deduplication: a second send of a cmid is a second stanza — except right after a resumption,
   * when xmpp.js has already resent the unacknowledged original; then this waits for that one.
   */
  async send(
    msg: { cmid: string; to: string; body: string },
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<Accepted> {
    this.assertOpen();
    const replay = this.acks.takeReplay(msg.cmid);
    if (replay) {
      return deadline(replay.promise, timeoutMs, `<a/> for the resent cmid ${msg.cmid} of ${this.actor}`);
    }
    const rid = this.rid();
    const el = chatMessage(`${msg.to}@${this.target.domain}`, msg.cmid, msg.body);
    const done = deferred<Accepted>();
    this.acks.expect(el, { kind: 'msg', rid, cmid: msg.cmid, done });
    await this.sendRecorded(el, 'msg:R', { rid, cmid: msg.cmid, to: msg.to, body: msg.body });
    // Without XEP-0198 there is no msg:A at all: the write is all the server ever says.
    if (!this.xmpp.streamManagement.enabled) {
      this.acks.forget(el);
      return { cmid: msg.cmid, smid: `${this.user}/${msg.cmid}`, ts: Date.now(), dup: false };
    }
    return deadline(done.promise, timeoutMs, `<a/> covering cmid ${msg.cmid} of ${this.actor}`);
  }

  /**
   * Sends a XEP-0184 receipt for every message up to device seq `upTo` that asked for one and has
   * not had it, and resolves with `upTo` once the server's <a h/> covers them (ack:A).
   *
   * Each receipt is recorded as `ack:R {upTo}` with the call's `upTo` (and the message's own seq in
   * `seq`): the bot acknowledges cumulatively, and a redelivered copy of an older message is owed a
   * receipt again after the bot's watermark moved on. Recording that receipt with its own seq would
   * read as a cursor moving backwards (ACK-4), which nothing on the wire said.
   */
  async ack(upTo: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    this.assertOpen();
    const due = this.state.owed.filter((o) => o.seq <= upTo);
    this.state.owed = this.state.owed.filter((o) => o.seq > upTo);
    const waits: Promise<void>[] = [];
    for (const o of due) {
      const rid = this.rid();
      const el = receipt(o.to, rid, o.cmid);
      const done = deferred<void>();
      if (this.xmpp.streamManagement.enabled) {
        this.acks.expect(el, { kind: 'receipt', rid, upTo, seq: o.seq, done });
        waits.push(done.promise);
      }
      await this.sendRecorded(el, 'ack:R', { rid, upTo, seq: o.seq, cmid: o.cmid, to: localOf(o.to) });
    }
    await deadline(
      Promise.all(waits),
      timeoutMs,
      `<a/> covering the receipts up to ${upTo} of ${this.actor}`,
    );
    return upTo;
  }

  /** Pages the user's XEP-0313 archive (see mam.ts for how seqs map to archive ids). */
  async sync(req: SyncRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SyncPage> {
    this.assertOpen();
    if (req.ackUpTo !== undefined) await this.ack(req.ackUpTo, timeoutMs);
    const rid = this.rid();
    const { iq, queryId } = mamQuery(req, this.state.seqs, rid);
    const waiter = this.iqs.expect(rid, 'sync', queryId);
    const fields: Record<string, unknown> = { rid, limit: req.limit };
    if (req.after !== undefined) fields.after = req.after;
    if (req.before !== undefined) fields.before = req.before;
    await this.sendRecorded(iq, 'sync:R', fields);
    await deadline(waiter.done.promise, timeoutMs, `MAM answer to ${rid} of ${this.actor}`);
    if (!waiter.page) throw new ConnectionClosedError(`MAM answer to ${rid} of ${this.actor} was lost`);
    return waiter.page;
  }

  /** XEP-0199 ping to the server; resolves with the round trip in ms. */
  async ping(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    this.assertOpen();
    const rid = this.rid();
    const waiter = this.iqs.expect(rid, 'ping');
    const start = performance.now();
    await this.sendRecorded(
      xml('iq', { type: 'get', id: rid, to: this.target.domain }, xml('ping', { xmlns: NS.ping })),
      'ping:R',
      { rid },
    );
    await deadline(waiter.done.promise, timeoutMs, `ping answer for ${this.actor}`);
    return performance.now() - start;
  }

  notifications(): AsyncIterable<Notification> {
    return this.hub.iterate();
  }

  onNotification(listener: (n: Notification) => void): () => void {
    return this.hub.on(listener);
  }

  /** Closes the stream (</stream:stream>) and the socket; the server ends the session cleanly. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.initiator ??= 'client';
    const force = setTimeout(() => this.xmpp.socket?.destroy(), CLOSE_GRACE_MS);
    try {
      await this.xmpp.stop();
    } catch {
      this.xmpp.socket?.destroy();
    }
    await this.closed;
    clearTimeout(force);
  }

  /**
   * Drops the socket with no stream close: a client crash. The server keeps the session
   * hibernating (XEP-0198) for smacks_hibernation_time and routes messages into it; the crashed
   * client forgets its stream state and owed receipts, so it never resumes.
   */
  abort(): void {
    if (this.isClosed) return;
    this.initiator ??= 'crash';
    this.state.crash();
    if (this.xmpp.socket) this.xmpp.socket.destroy();
    else this.finish();
  }

  private assertOpen(): void {
    if (this.isClosed || this.initiator) {
      throw new ConnectionClosedError(`XMPP connection of ${this.actor} is closed`);
    }
  }

  private rid(): string {
    return clientRid(++this.nextId);
  }

  /** Records, then sends. A write on a dead socket rejects with ConnectionClosedError. */
  private async sendRecorded(
    el: Element,
    type: FrameType | undefined,
    fields: Record<string, unknown>,
  ): Promise<void> {
    this.stream.recordOut(el, type, fields);
    try {
      await this.xmpp.send(el);
    } catch (cause) {
      throw new ConnectionClosedError(
        `XMPP connection of ${this.actor} failed to send: ${(cause as Error).message}`,
        undefined,
        {
          cause,
        },
      );
    }
  }

  /** The socket is gone: settle everything once, remember what a resumption needs. */
  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const serverClose = this.stream.serverClose;
    const initiator = this.initiator ?? (serverClose ? 'server' : 'network');
    const reason = serverClose ?? this.socketError?.message ?? '';
    const info: CloseInfo = { code: undefined, reason, initiator };
    const sm = this.xmpp.streamManagement;
    // Only a stream the network broke can be resumed: a clean close ended the server's session,
    // and a crashed client has lost the state.
    if (initiator === 'network' && sm.id) {
      this.state.resume = {
        id: sm.id,
        inbound: sm.inbound,
        outbound: sm.outbound,
        queue: sm.outbound_q.slice(),
      };
    }
    const error = new ConnectionClosedError(
      `XMPP connection of ${this.actor} to ${this.target.url} closed (${initiator}${reason ? `: ${reason}` : ''})`,
    );
    this.acks.end(error);
    this.iqs.end(error);
    this.stream.end(error);
    this.resumedSignal.reject(error);
    this.hub.end();
    this.log.close(info);
    this.closing.resolve(info);
  }
}

/**
 * xmpp.js's Connection.start() (0.14), with its wait for 'online' handled. start() makes that
 * promise (rejected by the next 'error') before opening the stream, and never awaits it when the
 * opening throws first: against a port that is not XMPP (a reset, or bytes its parser refuses) the
 * 'error' then rejected it unhandled, and Node ended the whole run with a bare ECONNRESET stack.
 * Here the rejection is observed, and the login fails with the driver's own error.
 */
async function startStream(xmpp: Client, service: string, domain: string): Promise<void> {
  await xmpp.connect(service);
  const online = new Promise<void>((resolve, reject) => {
    const onOnline = () => {
      xmpp.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      xmpp.off('online', onOnline);
      reject(error);
    };
    xmpp.once('online', onOnline);
    xmpp.once('error', onError);
  });
  online.catch(() => {});
  await xmpp.open({ domain });
  await online;
}
