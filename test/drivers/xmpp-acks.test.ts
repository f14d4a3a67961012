/**
 * The XMPP driver's bookkeeping of what its stanzas wait for, from literal fixtures, without a
 * server: an <a h/> settles exactly the stanzas its h covers, a <resumed h/> answers the bot's
 * retransmissions of what the old stream delivered, and refused IQs and logins read as the
 * errors the bots act on.
 */

import { type StreamManagement, xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import { deferred } from '../../src/drivers/deadline.js';
import type { Accepted } from '../../src/drivers/driver.js';
import { IqRequests, iqRefusal } from '../../src/drivers/xmpp/iq-requests.js';
import { loginError } from '../../src/drivers/xmpp/login-error.js';
import { SmAcks } from '../../src/drivers/xmpp/sm-acks.js';
import { resolveXmppTarget } from '../../src/drivers/xmpp/target.js';
import {
  AuthError,
  ServerRejectedError,
  TargetUnreachableError,
  UnsupportedError,
} from '../../src/errors.js';

/** XEP-0198 state as xmpp.js keeps it: `outbound` acknowledged so far, the rest queued. */
function smWith(outbound: number, queued: ReturnType<typeof xml>[]): StreamManagement {
  return {
    outbound,
    outbound_q: queued.map((stanza) => ({ stanza, stamp: '' })),
  } as unknown as StreamManagement;
}

const chat = (id: string) =>
  xml('message', { type: 'chat', id, to: 'bob@example.org' }, xml('body', {}, 'hi'));

describe('SmAcks', () => {
  it('hands an <a h/> the waiters of the stanzas its h covers, in order, each once', () => {
    const [m1, m2, m3] = [chat('c1'), chat('c2'), chat('c3')];
    const acks = new SmAcks(smWith(4, [m1, m2, m3]));
    acks.expect(m1, { kind: 'msg', rid: '~1', cmid: 'c1', done: deferred<Accepted>() });
    acks.expect(m3, { kind: 'msg', rid: '~3', cmid: 'c3', done: deferred<Accepted>() });
    expect(acks.coveredBy(4)).toEqual([]); // h 4 covers nothing beyond the 4 acknowledged before
    expect(acks.coveredBy(6).map((a) => a.rid)).toEqual(['~1']); // m2 waits for nothing
    expect(acks.coveredBy(6)).toEqual([]);
  });

  it('answers the retransmission of a message the old stream delivered, once, after <resumed h/>', async () => {
    const acks = new SmAcks(smWith(0, [chat('c1'), xml('presence'), chat('c2')]));
    expect(acks.resumedAt(2, 'alice')).toEqual(['c1']);
    await expect(acks.takeReplay('c1')?.promise).resolves.toMatchObject({ cmid: 'c1', smid: 'alice/c1' });
    expect(acks.takeReplay('c1')).toBeUndefined();
    expect(acks.takeReplay('c2')).toBeUndefined();
  });

  it('rejects what still waits when the stream ends', async () => {
    const m1 = chat('c1');
    const acks = new SmAcks(smWith(0, [m1]));
    const done = deferred<Accepted>();
    acks.expect(m1, { kind: 'msg', rid: '~1', cmid: 'c1', done });
    acks.resent(chat('c2'), '~2', 'c2');
    const replay = acks.takeReplay('c2');
    acks.end(new Error('gone'));
    await expect(done.promise).rejects.toThrow('gone');
    await expect(replay?.promise).rejects.toThrow('gone');
  });
});

describe('IqRequests', () => {
  it('collects the archive entries of a MAM query by query id and hands the waiter over once', () => {
    const iqs = new IqRequests();
    const waiter = iqs.expect('~5', 'sync', 'q~5');
    const entry = { fromJid: 'bob@example.org/d', cmid: 'c1', body: 'hi' } as never;
    iqs.mamResult('q~5', 'a1', entry);
    iqs.mamResult('q~other', 'a2', entry);
    iqs.mamResult('q~5', 'a3', undefined);
    expect(waiter.results).toEqual([{ archiveId: 'a1', chat: entry }]);
    expect(iqs.take('~5')).toBe(waiter);
    expect(iqs.take('~5')).toBeUndefined();
  });

  it('reads a MAM query the server lacks as unsupported, any other refusal as the server rejecting it', () => {
    expect(iqRefusal('sync', 'feature-not-implemented', '', 'xmpp://h:1', 'a')).toBeInstanceOf(
      UnsupportedError,
    );
    expect(iqRefusal('ping', 'service-unavailable', '', 'xmpp://h:1', 'a')).toBeInstanceOf(
      ServerRejectedError,
    );
    expect(iqRefusal('sync', 'forbidden', 'no', 'xmpp://h:1', 'a').message).toBe(
      'xmpp://h:1 refused the sync of a: forbidden (no)',
    );
  });
});

describe('loginError', () => {
  const target = resolveXmppTarget({ target: 'xmpp://127.0.0.1:5222?domain=example.org' });

  it('says AuthError after a SASL <failure/>, TargetUnreachableError when nothing listens', () => {
    expect(loginError(new Error('x'), 'not-authorized', target, 'alice', 'a')).toBeInstanceOf(AuthError);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(loginError(refused, undefined, target, 'alice', 'a')).toBeInstanceOf(TargetUnreachableError);
  });
});
