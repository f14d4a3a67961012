/**
 * Records each element of one XMPP stream as it goes by, both ways, as its RAN/1 frame (the
 * table in xmpp-session.ts), and keeps what those frames depend on and what the login asks of
 * them: the hello rid, how XEP-0198 negotiation went, a SASL failure, a stream error. Inbound
 * elements also settle what waits for them (SmAcks, IqRequests) and notify the bot.
 *
 * The session records what it sends itself (`recordOut`); everything else xmpp.js sends (SASL,
 * bind, <r/>, resent stanzas…) is recorded from its 'send' event (`onSend`), and every inbound
 * element from a listener placed before xmpp.js's own (`onElement`).
 */

import type { Element } from '@xmpp/client';
import type { ActorId } from '../../history/events.js';
import type { FrameType, StoredMessage } from '../../protocol/frames.js';
import { deferred } from '../deadline.js';
import type { Notification } from '../driver.js';
import type { ConnectionLog } from '../kit.js';
import type { NotificationHub } from '../notification-hub.js';
import type { XmppActorState } from './actor-state.js';
import { type IqRequests, iqRefusal } from './iq-requests.js';
import { finSaysMore, storedFromArchive } from './mam.js';
import type { SmAcks } from './sm-acks.js';
import { localOf, NS, readMessage, renderElement, stanzaError } from './stanzas.js';
import type { XmppTarget } from './target.js';

/** What the recorder reads and writes: no more of the session than that. */
export interface StreamContext {
  actor: ActorId;
  user: string;
  device: string;
  /** The bare JID of the user. */
  me: string;
  target: XmppTarget;
  state: XmppActorState;
  hub: NotificationHub<Notification>;
  log: ConnectionLog;
  /** The history's clock, for the time of a notification. */
  now(): number;
  acks: SmAcks;
  iqs: IqRequests;
  /** The session's next request rid. */
  rid(): string;
}

export class StreamRecorder {
  /** The server offered XEP-0198 in its stream features. */
  smOffered = false;
  /** Settles when the server answered <enable/> (<enabled/> or <failed/>). */
  readonly smSettled = deferred<void>();
  /** The server resumed the previous stream (<resumed/>). */
  resumed = false;
  /** The condition of a SASL <failure/>, if one arrived. */
  saslFailure: string | undefined;
  /** Why the server ended the stream, when it did: its stream error, or its closing the stream. */
  serverClose: string | undefined;
  private helloRid = '';
  private resumeSent = false;
  /** Elements the session recorded before sending them (the 'send' event skips those). */
  private readonly recorded = new WeakSet<Element>();

  constructor(private readonly ctx: StreamContext) {}

  /** Records an element the session is about to send, as `type` (or untyped, named by its tag). */
  recordOut(el: Element, type: FrameType | undefined, fields: Record<string, unknown>): void {
    this.recorded.add(el);
    this.record('out', type, type === undefined ? { xmpp: el.name, ...fields } : fields, renderElement(el));
  }

  /** xmpp.js's 'send' event: what it sent on its own (the session's own sends are recorded already). */
  onSend(el: Element): void {
    if (this.recorded.has(el)) return;
    let type: FrameType | undefined;
    let fields: Record<string, unknown> = { xmpp: el.name };
    const { user, device } = this.ctx;
    if (el.is('iq') && el.getChild('bind', NS.bind)) {
      this.helloRid = this.ctx.rid();
      type = 'hello:R';
      fields = { rid: this.helloRid, user, device, iq: el.attrs.id };
    } else if (el.is('resume', NS.sm)) {
      this.resumeSent = true;
      this.helloRid = this.ctx.rid();
      type = 'hello:R';
      fields = { rid: this.helloRid, user, device, resume: el.attrs.previd, h: Number(el.attrs.h) };
    } else if (el.is('message') && el.getChildText('body') !== null) {
      // xmpp.js resending a stanza XEP-0198 left unacknowledged, after a resumption.
      const rid = this.ctx.rid();
      const cmid = el.attrs.id ?? '';
      this.ctx.acks.resent(el, rid, cmid);
      type = 'msg:R';
      fields = { rid, cmid, to: localOf(el.attrs.to), body: el.getChildText('body'), resent: true };
    } else if (el.is('a', NS.sm) || el.is('r', NS.sm) || el.is('enable', NS.sm)) {
      fields = { xmpp: el.name, sm: true, ...(el.attrs.h !== undefined ? { h: Number(el.attrs.h) } : {}) };
    }
    this.record('out', type, fields, renderElement(el));
  }

  /** Every inbound element, before xmpp.js reacts to it. */
  onElement(el: Element): void {
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
      const h = Number(el.attrs.h);
      // Accepted by the old stream: the bot's retransmission of each gets that answer.
      const acked = this.ctx.acks.resumedAt(h, this.ctx.user);
      this.record('in', 'hello:A', { rid: this.helloRid, resumed: true, h, acked }, raw);
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

  /** The stream is gone: what the login waits for rejects with `error`. */
  end(error: Error): void {
    this.smSettled.reject(error);
  }

  private record(
    dir: 'in' | 'out',
    type: FrameType | undefined,
    fields: Record<string, unknown>,
    raw: string,
  ): void {
    this.ctx.log.frame(dir, { type, fields, raw });
  }

  private onSmAck(h: number, raw: string): void {
    const covered = this.ctx.acks.coveredBy(h);
    for (const waiting of covered) {
      if (waiting.kind === 'msg') {
        const { cmid, rid } = waiting;
        const accepted = { cmid, smid: `${this.ctx.user}/${cmid}`, ts: Date.now(), dup: false };
        this.record('in', 'msg:A', { rid, cmid, smid: accepted.smid, ts: accepted.ts, h }, raw);
        waiting.done.resolve(accepted);
      } else {
        this.record('in', 'ack:A', { rid: waiting.rid, upTo: waiting.upTo, seq: waiting.seq, h }, raw);
        waiting.done.resolve();
      }
    }
    if (covered.length === 0) this.record('in', undefined, { xmpp: 'a', sm: true, h }, raw);
  }

  private onMessage(el: Element, raw: string): void {
    const { user, state, hub } = this.ctx;
    const m = readMessage(el, this.ctx.me);
    switch (m.kind) {
      case 'chat': {
        const from = localOf(m.fromJid);
        const smid = `${from}/${m.cmid}`;
        const attempt = state.pushes.count(smid);
        const ts = m.delayed ?? Date.now();
        const fields: Record<string, unknown> = {
          smid,
          cmid: m.cmid,
          from,
          to: user,
          body: m.body,
          ts,
          attempt,
        };
        if (m.stanzaId !== undefined) fields.stanzaId = m.stanzaId;
        if (m.delayed !== undefined) fields.delayed = true;
        this.record('in', 'msg:N', fields, raw);
        const seq = state.seqs.seqOf(smid, m.stanzaId);
        if (m.receiptRequested && !state.owed.some((o) => o.seq === seq)) {
          state.owed.push({ seq, cmid: m.cmid, to: m.fromJid });
        }
        const msg: StoredMessage = { smid, cmid: m.cmid, from, to: user, body: m.body, seq, ts };
        hub.push({ type: 'msg:N', msg, attempt, t: this.ctx.now() });
        return;
      }
      case 'receipt': {
        const to = localOf(m.fromJid);
        const ts = Date.now();
        const smid = `${user}/${m.cmid}`;
        this.record('in', 'ack:N', { cmid: m.cmid, smid, to, status: 'delivered', ts }, raw);
        hub.push({ type: 'ack:N', cmid: m.cmid, smid, to, status: 'delivered', t: this.ctx.now() });
        return;
      }
      case 'error':
        // A bounce (e.g. recipient-unavailable for what sat in a replaced hibernating session). It
        // answers no request — RAN/1 has no frame for "your message was dropped" — so it stays
        // untyped; the loss itself is the checker's finding, and this is its evidence.
        this.record('in', undefined, { xmpp: 'message', bounce: m.condition, cmid: m.id, text: m.text }, raw);
        return;
      case 'mam-result':
        this.ctx.iqs.mamResult(m.queryId, m.archiveId, m.chat);
        this.record('in', undefined, { xmpp: 'message', mam: m.archiveId }, raw);
        return;
      default:
        this.record('in', undefined, { xmpp: 'message', from: el.attrs.from }, raw);
    }
  }

  private onIq(el: Element, raw: string): void {
    const id = el.attrs.id ?? '';
    const bind = el.getChild('bind', NS.bind);
    if (bind && el.attrs.type === 'result') {
      this.record('in', 'hello:A', { rid: this.helloRid, jid: bind.getChildText('jid') }, raw);
      return;
    }
    const answer = el.attrs.type === 'result' || el.attrs.type === 'error';
    const waiter = answer ? this.ctx.iqs.take(id) : undefined;
    if (!waiter) {
      this.record('in', undefined, { xmpp: 'iq', type: el.attrs.type, id }, raw);
      return;
    }
    if (el.attrs.type === 'error') {
      const { condition, text } = stanzaError(el);
      this.record('in', 'error:A', { rid: waiter.rid, code: condition, message: text }, raw);
      waiter.done.reject(iqRefusal(waiter.kind, condition, text, this.ctx.target.url, this.ctx.actor));
      return;
    }
    if (waiter.kind === 'ping') {
      this.record('in', 'ping:A', { rid: waiter.rid }, raw);
    } else {
      const { seqs } = this.ctx.state;
      const msgs = waiter.results.map((r) => storedFromArchive(r.archiveId, r.chat, seqs, this.ctx.user));
      waiter.page = { msgs, more: finSaysMore(el), maxSeq: seqs.lastSeq };
      this.record('in', 'sync:A', { rid: waiter.rid, ...waiter.page }, raw);
    }
    waiter.done.resolve();
  }
}
