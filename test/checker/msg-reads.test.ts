/**
 * A message's receiver found by its name's number (msg-reads.ts msgReceiver): the same user as a
 * lookup of its origin's `to` by name, whenever it is asked — also once that user appears only
 * after the message was first read.
 */

import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/checker/log.js';
import { msgReceiver } from '../../src/checker/msg-reads.js';
import { actorOf, msgOf, newLedger } from '../../src/checker/state.js';
import type { HistoryEvent } from '../../src/history/events.js';

describe('msgReceiver', () => {
  it("is the user the origin sends to, found when that user appears after the message's first read", () => {
    const events: HistoryEvent[] = [
      { kind: 'send', t: 1, actor: 'alice/p', cmid: 'c1', to: 'zed', body: 'b' },
      { kind: 'send', t: 2, actor: 'alice/p', cmid: 'c2', to: 'alice', body: 'b' },
      {
        kind: 'frame',
        t: 3,
        actor: 'alice/p',
        conn: 1,
        dir: 'out',
        type: 'msg:R',
        fields: { type: 'msg:R', rid: 'r', cmid: 'c3' },
        raw: '',
      },
    ];
    const l = newLedger(new EventLog(events));
    const alice = actorOf(l, 'alice/p').user;
    const toZed = msgOf(l, alice, 'c1', 0);
    const toAlice = msgOf(l, alice, 'c2', 1);
    const toNobody = msgOf(l, alice, 'c3', 2);
    expect(msgReceiver(l, toZed)).toBeUndefined();
    expect(msgReceiver(l, toAlice)).toBe(alice);
    expect(msgReceiver(l, toNobody)).toBeUndefined();
    // zed's first event comes later: the message's receiver is zed from then on.
    const zed = actorOf(l, 'zed/p').user;
    expect(msgReceiver(l, toZed)).toBe(zed);
    expect(l.users.get('zed')).toBe(zed);
    expect(msgReceiver(l, toNobody)).toBeUndefined();
  });
});
