/**
 * The stanzas the xmpp driver sends and the ones it reads, as pure functions over ltx elements
 * (no socket): a chat message with a XEP-0184 receipt request and a XEP-0359 origin-id, a
 * receipt, and the classification of whatever the server sends.
 */

import { type Element, xml } from '@xmpp/client';

export const NS = Object.freeze({
  receipts: 'urn:xmpp:receipts',
  sid: 'urn:xmpp:sid:0',
  delay: 'urn:xmpp:delay',
  sm: 'urn:xmpp:sm:3',
  mam: 'urn:xmpp:mam:2',
  rsm: 'http://jabber.org/protocol/rsm',
  forward: 'urn:xmpp:forward:0',
  ping: 'urn:xmpp:ping',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
});

/** The local part of a JID ("bob" of "bob@localhost/phone"). */
export function localOf(jid: string | undefined): string {
  if (!jid) return '';
  const at = jid.indexOf('@');
  return at < 0 ? '' : jid.slice(0, at);
}

/** The bare JID ("bob@localhost" of "bob@localhost/phone"). */
export function bareOf(jid: string | undefined): string {
  if (!jid) return '';
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

/**
 * msg:R: a chat message whose id and XEP-0359 origin-id are the cmid (so a receipt names it),
 * asking for a XEP-0184 receipt.
 */
export function chatMessage(to: string, cmid: string, body: string): Element {
  return xml(
    'message',
    { to, id: cmid, type: 'chat' },
    xml('body', {}, body),
    xml('request', { xmlns: NS.receipts }),
    xml('origin-id', { xmlns: NS.sid, id: cmid }),
  );
}

/** ack:R: a XEP-0184 receipt for message `cmid`, to the full JID that sent it. */
export function receipt(to: string, id: string, cmid: string): Element {
  return xml('message', { to, id, type: 'chat' }, xml('received', { xmlns: NS.receipts, id: cmid }));
}

export interface ChatIn {
  kind: 'chat';
  /** The sender's cmid: origin-id, else the stanza id. */
  cmid: string;
  /** Full JID of the sending device (where the receipt goes). */
  fromJid: string;
  to: string;
  body: string;
  /** XEP-0359 stanza-id the server stamped for this user's archive, when present. */
  stanzaId: string | undefined;
  /** XEP-0203 delay stamp (offline or archived delivery), ms since the epoch. */
  delayed: number | undefined;
  receiptRequested: boolean;
}

export interface ReceiptIn {
  kind: 'receipt';
  /** The cmid the receipt is for. */
  cmid: string;
  fromJid: string;
}

export interface ErrorIn {
  kind: 'error';
  /** The id of the stanza the error answers. */
  id: string | undefined;
  condition: string;
  text: string;
}

export interface MamResultIn {
  kind: 'mam-result';
  queryId: string;
  /** The archive id (also the stanza-id of the archived message). */
  archiveId: string;
  /** The archived message, when it is a chat message with a body. */
  chat: ChatIn | undefined;
}

export type MessageIn = ChatIn | ReceiptIn | ErrorIn | MamResultIn | { kind: 'other' };

function stamp(el: Element | undefined): number | undefined {
  const value = el?.attrs.stamp;
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads the error condition of a stanza of type error. */
export function stanzaError(stanza: Element): { condition: string; text: string } {
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.name !== 'text');
  return {
    condition: condition?.name ?? 'undefined-condition',
    text: error?.getChildText('text', NS.stanzas) ?? '',
  };
}

/** Classifies a received <message/>. `me` is the bare JID of this session's user. */
export function readMessage(stanza: Element, me: string): MessageIn {
  if (stanza.attrs.type === 'error') return { kind: 'error', id: stanza.attrs.id, ...stanzaError(stanza) };
  const result = stanza.getChild('result', NS.mam);
  if (result) {
    const forwarded = result.getChild('forwarded', NS.forward);
    const inner = forwarded?.getChild('message');
    let chat: ChatIn | undefined;
    if (inner) {
      const read = readChat(inner, me, undefined);
      if (read) chat = { ...read, delayed: stamp(forwarded?.getChild('delay', NS.delay)) ?? read.delayed };
    }
    return {
      kind: 'mam-result',
      queryId: result.attrs.queryid ?? '',
      archiveId: result.attrs.id ?? '',
      chat,
    };
  }
  const received = stanza.getChild('received', NS.receipts);
  if (received?.attrs.id)
    return { kind: 'receipt', cmid: received.attrs.id, fromJid: stanza.attrs.from ?? '' };
  return readChat(stanza, me, stanza) ?? { kind: 'other' };
}

function readChat(stanza: Element, me: string, outer: Element | undefined): ChatIn | undefined {
  const body = stanza.getChildText('body');
  if (body === null) return undefined;
  // Only messages to this user count as pushes; the archive also holds the user's own sends.
  if (bareOf(stanza.attrs.to) !== me) return undefined;
  const origin = stanza.getChild('origin-id', NS.sid)?.attrs.id;
  const stanzaId = (outer ?? stanza).getChildren('stanza-id', NS.sid).find((s) => s.attrs.by === me)
    ?.attrs.id;
  const cmid = origin ?? stanza.attrs.id ?? stanzaId ?? '';
  return {
    kind: 'chat',
    cmid,
    fromJid: stanza.attrs.from ?? '',
    to: stanza.attrs.to ?? '',
    body,
    stanzaId,
    delayed: stamp(stanza.getChild('delay', NS.delay)),
    receiptRequested: stanza.getChild('request', NS.receipts) !== undefined,
  };
}

/** A readable rendering of an element for the wire log, with SASL payloads (credentials) hidden. */
export function renderElement(el: Element): string {
  if (el.attrs.xmlns === NS.sasl && (el.name === 'auth' || el.name === 'response')) {
    const mechanism = el.attrs.mechanism ? ` mechanism="${el.attrs.mechanism}"` : '';
    return `<${el.name} xmlns="${NS.sasl}"${mechanism}>[redacted]</${el.name}>`;
  }
  return el.toString();
}
