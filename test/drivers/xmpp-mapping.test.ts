/**
 * The pure parts of the XMPP driver, from literal stanzas: target resolution, stanza building
 * and classification, credential redaction, the driver-assigned seqs and the MAM query mapping.
 */

import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import { createDriver } from '../../src/drivers/index.js';
import {
  chatMessage,
  finSaysMore,
  mamQuery,
  readMessage,
  receipt,
  renderElement,
  resolveXmppTarget,
  storedFromArchive,
  XmppUserSeqs,
} from '../../src/drivers/xmpp/index.js';
import { ConfigError, UnsupportedError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';

const ME = 'bob@localhost';

describe('resolveXmppTarget', () => {
  it('takes the domain from a host name, and localhost for an IP address', () => {
    expect(resolveXmppTarget({ target: 'xmpp://chat.example:5222' })).toEqual({
      url: 'xmpp://chat.example:5222',
      domain: 'chat.example',
      sasl: 'PLAIN',
      smTimeout: 60000,
      register: false,
    });
    expect(resolveXmppTarget({ target: 'xmpp://127.0.0.1:5222?register=1' }).register).toBe(true);
    expect(resolveXmppTarget({ target: 'xmpp://127.0.0.1:5222?sasl=SCRAM-SHA-1' })).toMatchObject({
      domain: 'localhost',
      sasl: 'SCRAM-SHA-1',
    });
    expect(
      resolveXmppTarget({ target: 'xmpp://127.0.0.1:5222?domain=im.test', domain: 'x.test' }).domain,
    ).toBe('x.test');
  });

  it.each([
    ['xmpp://h:5222?colour=red', /unknown parameter "colour"; known: domain, sasl, smTimeout, register/],
    ['xmpp://h:5222?register=yes', /register must be 1 or 0/],
    ['xmpp://h:5222?sasl=DIGEST-MD5', /sasl must be PLAIN or SCRAM-SHA-1/],
    ['xmpp://h:5222?smTimeout=-1', /smTimeout must be a positive integer/],
    ['xmpp://h', /give the port explicitly/],
    ['mqtt://h:1', /is not xmpp:/],
  ])('refuses %s with a ConfigError that names the problem', (target, message) => {
    expect(() => resolveXmppTarget({ target })).toThrow(ConfigError);
    expect(() => resolveXmppTarget({ target })).toThrow(message);
  });
});

describe('user names', () => {
  it('refuses a name with capitals before any traffic: the server would fold it and every push would look lost', async () => {
    // Port 1 on loopback: were the name let through, the error would be the unreachable target.
    const driver = createDriver('xmpp', { target: 'xmpp://127.0.0.1:1?register=1' });
    const login = driver.connect('Bob/phone', { user: 'Bob', device: 'phone', token: 't' }, new History());
    await expect(login).rejects.toThrow(ConfigError);
    await expect(login).rejects.toThrow(
      /capitals: XMPP servers case-fold user names \(it would log in as "bob"\)/,
    );
  });
});

describe('stanzas', () => {
  it('builds msg:R as a chat message whose id and origin-id are the cmid, asking for a receipt', () => {
    expect(chatMessage('bob@localhost', 'c1', 'hi <there>').toString()).toBe(
      '<message to="bob@localhost" id="c1" type="chat"><body>hi &lt;there&gt;</body>' +
        '<request xmlns="urn:xmpp:receipts"/><origin-id xmlns="urn:xmpp:sid:0" id="c1"/></message>',
    );
    expect(receipt('alice@localhost/d1', '~3', 'c1').toString()).toBe(
      '<message to="alice@localhost/d1" id="~3" type="chat"><received xmlns="urn:xmpp:receipts" id="c1"/></message>',
    );
  });

  it('reads a pushed chat message: origin-id as cmid, our stanza-id, the delay stamp', () => {
    const m = readMessage(
      xml(
        'message',
        { from: 'alice@localhost/d1', to: ME, id: 'other', type: 'chat' },
        xml('body', {}, 'hello'),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'c1' }),
        xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'alice@localhost', id: 'theirs' }),
        xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ME, id: 'ours' }),
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-02T03:04:05Z' }),
      ),
      ME,
    );
    expect(m).toEqual({
      kind: 'chat',
      cmid: 'c1',
      fromJid: 'alice@localhost/d1',
      to: ME,
      body: 'hello',
      stanzaId: 'ours',
      delayed: Date.UTC(2026, 0, 2, 3, 4, 5),
      receiptRequested: true,
    });
  });

  it('tells receipts, bounces, archive results and everything else apart', () => {
    expect(
      readMessage(
        xml(
          'message',
          { from: 'bob@localhost/d1' },
          xml('received', { xmlns: 'urn:xmpp:receipts', id: 'c1' }),
        ),
        'alice@localhost',
      ),
    ).toEqual({ kind: 'receipt', cmid: 'c1', fromJid: 'bob@localhost/d1' });
    expect(
      readMessage(
        xml(
          'message',
          { type: 'error', id: 'c1' },
          xml(
            'error',
            { type: 'cancel' },
            xml('recipient-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
          ),
        ),
        ME,
      ),
    ).toEqual({ kind: 'error', id: 'c1', condition: 'recipient-unavailable', text: '' });
    const archived = readMessage(
      xml(
        'message',
        { to: `${ME}/d1` },
        xml(
          'result',
          { xmlns: 'urn:xmpp:mam:2', queryid: 'q~1', id: 'A1' },
          xml(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-02T03:04:05Z' }),
            xml('message', { from: 'alice@localhost/d1', to: ME, id: 'c1' }, xml('body', {}, 'old')),
          ),
        ),
      ),
      ME,
    );
    expect(archived).toMatchObject({
      kind: 'mam-result',
      queryId: 'q~1',
      archiveId: 'A1',
      chat: { cmid: 'c1', body: 'old' },
    });
    // The archive holds the user's own sends too: those are not messages to the user.
    const own = readMessage(
      xml(
        'message',
        {},
        xml(
          'result',
          { xmlns: 'urn:xmpp:mam:2', queryid: 'q', id: 'A2' },
          xml(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            xml('message', { from: `${ME}/d1`, to: 'alice@localhost' }, xml('body', {}, 'mine')),
          ),
        ),
      ),
      ME,
    );
    expect(own).toMatchObject({ kind: 'mam-result', chat: undefined });
    expect(readMessage(xml('message', { from: 'alice@localhost/d1' }, xml('composing')), ME)).toEqual({
      kind: 'other',
    });
  });

  it('hides SASL payloads (the credentials) in the wire log', () => {
    const auth = xml(
      'auth',
      { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl', mechanism: 'PLAIN' },
      'AGFsaWNlAHB3',
    );
    expect(renderElement(auth)).toBe(
      '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">[redacted]</auth>',
    );
    expect(renderElement(xml('presence'))).toBe('<presence/>');
  });
});

describe('seqs and MAM paging', () => {
  it('numbers distinct messages per user and remembers the first archive id behind each seq', () => {
    const seqs = new XmppUserSeqs();
    expect(seqs.seqOf('a/1', 'A1')).toBe(1);
    expect(seqs.seqOf('a/2')).toBe(2);
    expect(seqs.seqOf('a/1', 'A9')).toBe(1);
    expect(seqs.archiveIdBySeq.get(1)).toBe('A1');
  });

  it('maps after/before onto RSM cursors: from the start, after a known archive id, the newest page', () => {
    const seqs = new XmppUserSeqs();
    seqs.seqOf('a/1', 'A1');
    const set = (q: ReturnType<typeof mamQuery>) => q.iq.getChild('query')?.getChild('set')?.toString();
    expect(set(mamQuery({ after: 0, limit: 5 }, seqs, '~1'))).toBe(
      '<set xmlns="http://jabber.org/protocol/rsm"><max>5</max></set>',
    );
    expect(set(mamQuery({ after: 1, limit: 5 }, seqs, '~2'))).toContain('<after>A1</after>');
    expect(set(mamQuery({ before: 2, limit: 5 }, seqs, '~3'))).toContain('<before/>');
    expect(set(mamQuery({ before: 1, limit: 5 }, seqs, '~4'))).toContain('<before>A1</before>');
    expect(mamQuery({ after: 0, limit: 5 }, seqs, '~5').queryId).toBe('q~5');
    expect(() => mamQuery({ after: 7, limit: 5 }, seqs, '~6')).toThrow(UnsupportedError);
  });

  it('turns an archived chat message into a stored message with the seq its smid already has', () => {
    const seqs = new XmppUserSeqs();
    seqs.seqOf('alice/c2');
    const chat = {
      kind: 'chat' as const,
      cmid: 'c2',
      fromJid: 'alice@localhost/d1',
      to: ME,
      body: 'b',
      stanzaId: undefined,
      delayed: 5,
      receiptRequested: false,
    };
    expect(storedFromArchive('A2', chat, seqs, 'bob')).toEqual({
      smid: 'alice/c2',
      cmid: 'c2',
      from: 'alice',
      to: 'bob',
      body: 'b',
      seq: 1,
      ts: 5,
    });
    expect(finSaysMore(xml('iq', {}, xml('fin', { xmlns: 'urn:xmpp:mam:2', complete: 'true' })))).toBe(false);
    expect(finSaysMore(xml('iq', {}, xml('fin', { xmlns: 'urn:xmpp:mam:2' })))).toBe(true);
  });
});
