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
 */

import { type Client, client as createClient, type Element, xml } from '@xmpp/client';
import {
  AuthError,
  ConnectionClosedError,
  ServerRejectedError,
  TargetUnreachableError,
  TimeoutError,
  UnsupportedError,
} from '../../errors.js';
import type { ActorId, FrameEvent, History } from '../../history/events.js';
import type { Cap, FrameType, StoredMessage } from '../../protocol/frames.js';
import { nextConn, recordClose, recordSession } from '../connections.js';
import { DEFAULT_TIMEOUT_MS, type Deferred, deadline, deferred } from '../deadline.js';
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
import type { XmppActorState } from './actor-state.js';
import { finSaysMore, mamQuery, storedFromArchive } from './mam.js';
import {
  type ChatIn,
  chatMessage,
  localOf,
  NS,
  readMessage,
  receipt,
  renderElement,
  stanzaError,
} from './stanzas.js';
import type { XmppTarget } from './target.js';

/** What an outgoing stanza awaits from XEP-0198. */
type Awaiting =
  | { kind: 'msg'; rid: string; cmid: string; done: Deferred<Accepted> }
  | { kind: 'receipt'; rid: string; upTo: number; seq: number; done: Deferred<void> };

interface IqWaiter {
  rid: string;
  kind: 'ping' | 'sync';
  done: Deferred<void>;
  queryId?: string;
  results: { archiveId: string; chat: ChatIn }[];
  page?: SyncPage;
}

export class XmppSession implements DriverSession {
  readonly conn: number;
  readonly closed: Promise<CloseInfo>;
  private readonly xmpp: Client;
  private readonly me: string;
  private readonly hub = new NotificationHub<Notification>();
  private readonly closing = deferred<CloseInfo>();
  private sessionInfo: SessionInfo | undefined;
  private nextId = 0;
  private helloRid = '';
  /** Elements this session recorded before sending them (the 'send' event skips those). */
  private readonly recorded = new WeakSet<Element>();
  private readonly awaiting = new Map<Element, Awaiting>();
  private readonly iqs = new Map<string, IqWaiter>();
  /** cmid → answer of a message replayed after resumption, for the bot's retransmission of it. */
  private readonly replays = new Map<string, Deferred<Accepted>>();
  private smOffered = false;
  private readonly smSettled = deferred<void>();
  private resumed = false;
  private resumeSent = false;
  private readonly resumedSignal = deferred<void>();
  private initiator: CloseInfo['initiator'] | undefined;
  private serverClose: string | undefined;
  private socketError: Error | undefined;
  private saslFailure: string | undefined;
  private isClosed = false;

  constructor(
    readonly actor: ActorId,
    private readonly user: string,
    private readonly device: string,
    private readonly target: XmppTarget,
    private readonly state: XmppActorState,
    private readonly history: History,
    password: string,
  ) {
    this.conn = nextConn(history, actor);
    this.me = `${user}@${target.domain}`;
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
    // Emitted once xmpp.js has resent what the old stream left unacknowledged.
    sm.on('resumed', () => this.resumedSignal.resolve());
    this.xmpp.prependListener('element', (el: Element) => this.onElement(el));
    this.xmpp.on('send', (el: Element) => this.onSend(el));
    this.xmpp.on('error', (error: Error) => {
      if ((error as { code?: unknown }).code !== undefined) this.socketError ??= error;
    });
    this.xmpp.on('connect', () => this.xmpp.socket?.setNoDelay(true));
    this.xmpp.on('close', () => {
      // The stream ended before the socket: the server closed it (unless we asked).
      this.serverClose ??= this.initiator ? undefined : 'server closed the stream';
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
      const started = this.xmpp.start();
      started.catch(() => {});
      // After a resumption xmpp.js goes online without emitting 'online', so start() never settles.
      await deadline(
        Promise.race([started, this.resumedSignal.promise]),
        timeoutMs,
        `XMPP login of ${this.actor} at ${this.target.url}`,
      );
      if (!this.resumed) {
        if (this.smOffered) await deadline(this.smSettled.promise, timeoutMs, `<enabled/> for ${this.actor}`);
        await this.sendRecorded(xml('presence'), undefined, {});
      }
    } catch (error) {
      const mapped = this.loginError(error);
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
    recordSession(this.history, this.actor, this.conn, info, options.lastSeq);
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
    const replay = this.replays.get(msg.cmid);
    if (replay) {
      this.replays.delete(msg.cmid);
      return deadline(replay.promise, timeoutMs, `<a/> for the resent cmid ${msg.cmid} of ${this.actor}`);
    }
    const rid = this.rid();
    const el = chatMessage(`${msg.to}@${this.target.domain}`, msg.cmid, msg.body);
    const done = deferred<Accepted>();
    this.awaiting.set(el, { kind: 'msg', rid, cmid: msg.cmid, done });
    await this.sendRecorded(el, 'msg:R', { rid, cmid: msg.cmid, to: msg.to, body: msg.body });
    // Without XEP-0198 there is no msg:A at all: the write is all the server ever says.
    if (!this.xmpp.streamManagement.enabled) {
      this.awaiting.delete(el);
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
        this.awaiting.set(el, { kind: 'receipt', rid, upTo, seq: o.seq, done });
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
    const waiter: IqWaiter = { rid, kind: 'sync', done: deferred<void>(), queryId, results: [] };
    this.iqs.set(rid, waiter);
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
    const waiter: IqWaiter = { rid, kind: 'ping', done: deferred<void>(), results: [] };
    this.iqs.set(rid, waiter);
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
    const force = setTimeout(() => this.xmpp.socket?.destroy(), 2000);
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
    return `~${(++this.nextId).toString(36)}`;
  }

  private record(
    dir: 'in' | 'out',
    type: FrameType | undefined,
    fields: Record<string, unknown>,
    raw: string,
  ): void {
    const event: FrameEvent = {
      kind: 'frame',
      t: this.history.now(),
      actor: this.actor,
      conn: this.conn,
      dir,
      type,
      fields,
      raw,
    };
    this.history.append(event);
  }

  /** Records, then sends. A write on a dead socket rejects with ConnectionClosedError. */
  private async sendRecorded(
    el: Element,
    type: FrameType | undefined,
    fields: Record<string, unknown>,
  ): Promise<void> {
    this.recorded.add(el);
    this.record('out', type, type === undefined ? { xmpp: el.name, ...fields } : fields, renderElement(el));
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

  private loginError(error: unknown): Error {
    if (error instanceof TimeoutError) return error;
    const e = error as Error & { code?: unknown; condition?: unknown };
    if (e.name === 'SASLError' || this.saslFailure) {
      return new AuthError(
        `${this.target.url} refused the credentials of ${this.user}@${this.target.domain} ` +
          `(SASL ${this.saslFailure ?? e.condition ?? e.message}): check the password (token) and the account`,
        { cause: error },
      );
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH') {
      return new TargetUnreachableError(
        `cannot connect to ${this.target.url}: ${e.message}. Is the server running and is the URL right?`,
        { cause: error },
      );
    }
    if (error instanceof ConnectionClosedError) return error;
    return new ConnectionClosedError(
      `XMPP login of ${this.actor} at ${this.target.url} failed: ${e.message}`,
      undefined,
      {
        cause: error,
      },
    );
  }

  /** The socket is gone: settle everything once, remember what a resumption needs. */
  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const initiator = this.initiator ?? (this.serverClose ? 'server' : 'network');
    const reason = this.serverClose ?? this.socketError?.message ?? '';
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
    for (const a of this.awaiting.values()) a.done.reject(error);
    this.awaiting.clear();
    for (const w of this.iqs.values()) w.done.reject(error);
    this.iqs.clear();
    for (const r of this.replays.values()) r.reject(error);
    this.smSettled.reject(error);
    this.resumedSignal.reject(error);
    this.hub.end();
    recordClose(this.history, this.actor, this.conn, info);
    this.closing.resolve(info);
  }

  private onSend(el: Element): void {
    if (this.recorded.has(el)) return;
    let type: FrameType | undefined;
    let fields: Record<string, unknown> = { xmpp: el.name };
    if (el.is('iq') && el.getChild('bind', NS.bind)) {
      this.helloRid = this.rid();
      type = 'hello:R';
      fields = { rid: this.helloRid, user: this.user, device: this.device, iq: el.attrs.id };
    } else if (el.is('resume', NS.sm)) {
      this.resumeSent = true;
      this.helloRid = this.rid();
      type = 'hello:R';
      fields = {
        rid: this.helloRid,
        user: this.user,
        device: this.device,
        resume: el.attrs.previd,
        h: Number(el.attrs.h),
      };
    } else if (el.is('message') && el.getChildText('body') !== null) {
      // xmpp.js resending a stanza XEP-0198 left unacknowledged, after a resumption.
      const rid = this.rid();
      const cmid = el.attrs.id ?? '';
      const done = deferred<Accepted>();
      this.awaiting.set(el, { kind: 'msg', rid, cmid, done });
      this.replays.set(cmid, done);
      type = 'msg:R';
      fields = { rid, cmid, to: localOf(el.attrs.to), body: el.getChildText('body'), resent: true };
    } else if (el.is('a', NS.sm) || el.is('r', NS.sm) || el.is('enable', NS.sm)) {
      fields = { xmpp: el.name, sm: true, ...(el.attrs.h !== undefined ? { h: Number(el.attrs.h) } : {}) };
    }
    this.record('out', type, fields, renderElement(el));
  }

  private onElement(el: Element): void {
    const raw = renderElement(el);
    if (el.is('a', NS.sm)) {
      this.onSmAck(Number(el.attrs.h), raw);
      return;
    }
    if (el.is('message')) {
      this.onMessage(el, raw);
      return;
    }
    if (el.is('iq')) {
      this.onIq(el, raw);
      return;
    }
    if (el.is('resumed', NS.sm)) {
      this.resumed = true;
      const acked = this.ackedBy(Number(el.attrs.h));
      const cmids: string[] = [];
      for (const stanza of acked) {
        if (!stanza.is('message') || stanza.getChildText('body') === null) continue;
        const cmid = stanza.attrs.id ?? '';
        cmids.push(cmid);
        // Accepted by the old stream: the bot's retransmission of it gets this answer.
        const done = deferred<Accepted>();
        done.resolve({ cmid, smid: `${this.user}/${cmid}`, ts: Date.now(), dup: false });
        this.replays.set(cmid, done);
      }
      this.record(
        'in',
        'hello:A',
        { rid: this.helloRid, resumed: true, h: Number(el.attrs.h), acked: cmids },
        raw,
      );
      return;
    }
    const fields: Record<string, unknown> = { xmpp: el.name };
    if (el.is('features', 'http://etherx.jabber.org/streams') || el.name === 'stream:features') {
      if (el.getChild('sm', NS.sm)) this.smOffered = true;
    } else if (el.is('enabled', NS.sm)) {
      fields.sm = true;
      fields.resume = el.attrs.resume === 'true' || el.attrs.resume === '1';
      this.smSettled.resolve();
    } else if (el.is('failed', NS.sm)) {
      fields.sm = true;
      if (this.resumeSent && !this.resumed) {
        this.resumeSent = false;
        // A refused <resume/>: the old session is gone; binding follows.
        this.record('in', 'error:A', { rid: this.helloRid, code: 'resume-failed', message: raw }, raw);
        return;
      }
      this.smSettled.resolve();
    } else if (el.is('failure', NS.sasl)) {
      this.saslFailure = el.getChildElements().find((c) => c.name !== 'text')?.name ?? 'failure';
    } else if (el.name === 'stream:error' || el.is('error', 'http://etherx.jabber.org/streams')) {
      const condition = el.getChildElements().find((c) => c.name !== 'text')?.name ?? 'undefined-condition';
      this.serverClose = `stream error: ${condition}`;
      fields.condition = condition;
    } else if (el.is('presence')) {
      fields.from = el.attrs.from;
      if (el.attrs.type) fields.presence = el.attrs.type;
    }
    this.record('in', undefined, fields, raw);
  }

  /** The stanzas an <a h/> (or <resumed h/>) acknowledges, read before xmpp.js shifts its queue. */
  private ackedBy(h: number): Element[] {
    const sm = this.xmpp.streamManagement;
    const count = h - sm.outbound;
    return count > 0 ? sm.outbound_q.slice(0, count).map((item) => item.stanza) : [];
  }

  private onSmAck(h: number, raw: string): void {
    let matched = false;
    for (const stanza of this.ackedBy(h)) {
      const waiting = this.awaiting.get(stanza);
      if (!waiting) continue;
      this.awaiting.delete(stanza);
      matched = true;
      if (waiting.kind === 'msg') {
        const accepted: Accepted = {
          cmid: waiting.cmid,
          smid: `${this.user}/${waiting.cmid}`,
          ts: Date.now(),
          dup: false,
        };
        this.record(
          'in',
          'msg:A',
          { rid: waiting.rid, cmid: accepted.cmid, smid: accepted.smid, ts: accepted.ts, h },
          raw,
        );
        waiting.done.resolve(accepted);
      } else {
        this.record('in', 'ack:A', { rid: waiting.rid, upTo: waiting.upTo, seq: waiting.seq, h }, raw);
        waiting.done.resolve();
      }
    }
    if (!matched) this.record('in', undefined, { xmpp: 'a', sm: true, h }, raw);
  }

  private onMessage(el: Element, raw: string): void {
    const m = readMessage(el, this.me);
    switch (m.kind) {
      case 'chat': {
        const from = localOf(m.fromJid);
        const smid = `${from}/${m.cmid}`;
        const attempt = this.state.pushes.count(smid);
        const ts = m.delayed ?? Date.now();
        const fields: Record<string, unknown> = {
          smid,
          cmid: m.cmid,
          from,
          to: this.user,
          body: m.body,
          ts,
          attempt,
        };
        if (m.stanzaId !== undefined) fields.stanzaId = m.stanzaId;
        if (m.delayed !== undefined) fields.delayed = true;
        this.record('in', 'msg:N', fields, raw);
        const seq = this.state.seqs.seqOf(smid, m.stanzaId);
        if (m.receiptRequested && !this.state.owed.some((o) => o.seq === seq)) {
          this.state.owed.push({ seq, cmid: m.cmid, to: m.fromJid });
        }
        const msg: StoredMessage = { smid, cmid: m.cmid, from, to: this.user, body: m.body, seq, ts };
        this.hub.push({ type: 'msg:N', msg, attempt, t: this.history.now() });
        return;
      }
      case 'receipt': {
        const to = localOf(m.fromJid);
        const ts = Date.now();
        const smid = `${this.user}/${m.cmid}`;
        this.record('in', 'ack:N', { cmid: m.cmid, smid, to, status: 'delivered', ts }, raw);
        this.hub.push({ type: 'ack:N', cmid: m.cmid, smid, to, status: 'delivered', t: this.history.now() });
        return;
      }
      case 'error':
        // A bounce (e.g. recipient-unavailable for what sat in a replaced hibernating session). It
        // answers no request — RAN/1 has no frame for "your message was dropped" — so it stays
        // untyped; the loss itself is the checker's finding, and this is its evidence.
        this.record('in', undefined, { xmpp: 'message', bounce: m.condition, cmid: m.id, text: m.text }, raw);
        return;
      case 'mam-result': {
        const waiter = [...this.iqs.values()].find((w) => w.queryId === m.queryId);
        if (waiter && m.chat) waiter.results.push({ archiveId: m.archiveId, chat: m.chat });
        this.record('in', undefined, { xmpp: 'message', mam: m.archiveId }, raw);
        return;
      }
      default:
        this.record('in', undefined, { xmpp: 'message', from: el.attrs.from }, raw);
    }
  }

  private onIq(el: Element, raw: string): void {
    const id = el.attrs.id ?? '';
    const waiter = this.iqs.get(id);
    if (el.getChild('bind', NS.bind) && el.attrs.type === 'result') {
      this.record(
        'in',
        'hello:A',
        { rid: this.helloRid, jid: el.getChild('bind', NS.bind)?.getChildText('jid') },
        raw,
      );
      return;
    }
    if (!waiter || (el.attrs.type !== 'result' && el.attrs.type !== 'error')) {
      this.record('in', undefined, { xmpp: 'iq', type: el.attrs.type, id }, raw);
      return;
    }
    this.iqs.delete(id);
    if (el.attrs.type === 'error') {
      const { condition, text } = stanzaError(el);
      this.record('in', 'error:A', { rid: waiter.rid, code: condition, message: text }, raw);
      const message = `${this.target.url} refused the ${waiter.kind} of ${this.actor}: ${condition}${text ? ` (${text})` : ''}`;
      waiter.done.reject(
        waiter.kind === 'sync' &&
          (condition === 'service-unavailable' || condition === 'feature-not-implemented')
          ? new UnsupportedError(`${message}: the server has no XEP-0313 archive (Prosody: enable mod_mam)`)
          : new ServerRejectedError(message, condition),
      );
      return;
    }
    if (waiter.kind === 'ping') {
      this.record('in', 'ping:A', { rid: waiter.rid }, raw);
    } else {
      const msgs = waiter.results.map((r) =>
        storedFromArchive(r.archiveId, r.chat, this.state.seqs, this.user),
      );
      waiter.page = { msgs, more: finSaysMore(el), maxSeq: this.state.seqs.lastSeq };
      this.record('in', 'sync:A', { rid: waiter.rid, ...waiter.page }, raw);
    }
    waiter.done.resolve();
  }
}
