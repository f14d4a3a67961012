/**
 * What the stanzas of one XMPP stream await from XEP-0198: each chat message its msg:A and each
 * receipt its ack:A, both given by the server's <a h/> whose h covers them, and the answers of
 * the messages xmpp.js resent (or the old stream had delivered) after a resumption, kept for the
 * bot's retransmission of them. No I/O: the session tells it what went by.
 */

import type { Element, StreamManagement } from '@xmpp/client';
import { type Deferred, deferred } from '../deadline.js';
import type { Accepted } from '../driver.js';

/** What an outgoing stanza awaits from XEP-0198. */
export type Awaiting =
  | { kind: 'msg'; rid: string; cmid: string; done: Deferred<Accepted> }
  | { kind: 'receipt'; rid: string; upTo: number; seq: number; done: Deferred<void> };

export class SmAcks {
  private readonly awaiting = new Map<Element, Awaiting>();
  /** cmid → answer of a message replayed after resumption, for the bot's retransmission of it. */
  private readonly replays = new Map<string, Deferred<Accepted>>();

  /** `sm` is read when an <a h/> arrives, before xmpp.js shifts its queue. */
  constructor(private readonly sm: StreamManagement) {}

  /** `el` goes out and waits for an <a h/> that covers it. */
  expect(el: Element, awaiting: Awaiting): void {
    this.awaiting.set(el, awaiting);
  }

  /** `el` will never be covered (no XEP-0198 on this stream). */
  forget(el: Element): void {
    this.awaiting.delete(el);
  }

  /** xmpp.js resent message `el` that the old stream left unacknowledged, after a resumption. */
  resent(el: Element, rid: string, cmid: string): void {
    const done = deferred<Accepted>();
    this.awaiting.set(el, { kind: 'msg', rid, cmid, done });
    this.replays.set(cmid, done);
  }

  /** The answer a send of `cmid` gets from a replay, taken: at most one send gets it. */
  takeReplay(cmid: string): Deferred<Accepted> | undefined {
    const replay = this.replays.get(cmid);
    if (replay) this.replays.delete(cmid);
    return replay;
  }

  /**
   * <resumed h/>: the messages whose <a/> the old stream never saw but its h covers were accepted
   * then; each bot retransmission of one gets that answer. Returns their cmids.
   */
  resumedAt(h: number, user: string): string[] {
    const cmids: string[] = [];
    for (const stanza of this.ackedBy(h)) {
      if (!stanza.is('message') || stanza.getChildText('body') === null) continue;
      const cmid = stanza.attrs.id ?? '';
      cmids.push(cmid);
      const done = deferred<Accepted>();
      done.resolve({ cmid, smid: `${user}/${cmid}`, ts: Date.now(), dup: false });
      this.replays.set(cmid, done);
    }
    return cmids;
  }

  /** <a h/>: what the stanzas it covers were waiting for, taken in stream order. */
  coveredBy(h: number): Awaiting[] {
    const covered: Awaiting[] = [];
    for (const stanza of this.ackedBy(h)) {
      const waiting = this.awaiting.get(stanza);
      if (!waiting) continue;
      this.awaiting.delete(stanza);
      covered.push(waiting);
    }
    return covered;
  }

  /** The stream is gone: everything still waiting rejects with `error`. */
  end(error: Error): void {
    for (const a of this.awaiting.values()) a.done.reject(error);
    this.awaiting.clear();
    for (const r of this.replays.values()) r.reject(error);
  }

  /** The stanzas an <a h/> (or <resumed h/>) acknowledges, read before xmpp.js shifts its queue. */
  private ackedBy(h: number): Element[] {
    const count = h - this.sm.outbound;
    return count > 0 ? this.sm.outbound_q.slice(0, count).map((item) => item.stanza) : [];
  }
}
