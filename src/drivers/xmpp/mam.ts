/**
 * `sync` over XEP-0313 Message Archive Management with XEP-0059 result-set paging. MAM pages by
 * archive id, not by seq, and the archive holds the user's own sends too, so the driver maps:
 * `after: 0` reads from the start, `after: n` continues after the archive id the device saw as
 * seq n, `before: n` with n above every seq the user's devices know reads the newest page.
 * Archived messages no device saw get the next driver-assigned seqs as they arrive. A page holds at
 * most `limit` archive entries; only messages to the user are returned, so it may hold fewer.
 * Pure, apart from the state it updates.
 */

import { type Element, xml } from '@xmpp/client';
import { UnsupportedError } from '../../errors.js';
import type { StoredMessage } from '../../protocol/frames.js';
import type { SyncRequest } from '../driver.js';
import type { XmppUserSeqs } from './actor-state.js';
import { type ChatIn, localOf, NS } from './stanzas.js';

export interface MamQuery {
  iq: Element;
  queryId: string;
}

/** Builds the MAM query for a sync request. Throws UnsupportedError for a seq with no archive id. */
export function mamQuery(req: SyncRequest, seqs: XmppUserSeqs, id: string): MamQuery {
  const set: Element[] = [xml('max', {}, String(req.limit))];
  if (req.after !== undefined) {
    if (req.after > 0) set.push(xml('after', {}, archiveIdOf(req.after, seqs)));
  } else if (req.before !== undefined) {
    set.push(req.before > seqs.lastSeq ? xml('before') : xml('before', {}, archiveIdOf(req.before, seqs)));
  }
  const queryId = `q${id}`;
  const iq = xml(
    'iq',
    { type: 'set', id },
    xml('query', { xmlns: NS.mam, queryid: queryId }, xml('set', { xmlns: NS.rsm }, ...set)),
  );
  return { iq, queryId };
}

function archiveIdOf(seq: number, seqs: XmppUserSeqs): string {
  const id = seqs.archiveIdBySeq.get(seq);
  if (id === undefined) {
    throw new UnsupportedError(
      `seq ${seq} names no archived message the user's devices have seen: XMPP has no inbox seq, so ` +
        'MAM paging can only continue from a message a device received (or start from after: 0)',
    );
  }
  return id;
}

/** One archived chat message as a stored message, with the device-local seq it maps to. */
export function storedFromArchive(
  archiveId: string,
  chat: ChatIn,
  seqs: XmppUserSeqs,
  user: string,
): StoredMessage {
  const from = localOf(chat.fromJid);
  const smid = `${from}/${chat.cmid}`;
  return {
    smid,
    cmid: chat.cmid,
    from,
    to: user,
    body: chat.body,
    seq: seqs.seqOf(smid, archiveId),
    ts: chat.delayed ?? 0,
  };
}

/** Whether the <fin/> of a MAM answer says the archive has more in the paging direction. */
export function finSaysMore(result: Element): boolean {
  const fin = result.getChild('fin', NS.mam);
  return fin?.attrs.complete !== 'true';
}
