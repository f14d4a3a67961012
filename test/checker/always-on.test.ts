/**
 * The always-on rules, each from literal histories: the violating frames fire it, the same
 * exchange done right does not.
 */

import { describe, expect, it } from 'vitest';
import { type ALWAYS_ON_RULES, AlwaysOnJudges, judgeAlwaysOn } from '../../src/checker/always-on/index.js';
import { pushChain } from '../../src/checker/always-on/push-chain.js';
import { receiptAddressee } from '../../src/checker/always-on/receipt-addressee.js';
import type { FrameEvent, HistoryEvent } from '../../src/history/events.js';
import { CAPS } from '../../src/protocol/frames.js';

let t = 0;
function frame(actor: string, dir: 'in' | 'out', fields: Record<string, unknown>, conn = 1): FrameEvent {
  return { kind: 'frame', t: ++t, actor, conn, dir, type: fields['type'] as never, fields, raw: '' };
}
const send = (actor: string, cmid: string, to: string, body: string): HistoryEvent => ({
  kind: 'send',
  t: ++t,
  actor,
  cmid,
  to,
  body,
});
const msgR = (actor: string, rid: string, cmid: string, to: string, body: string) =>
  frame(actor, 'out', { type: 'msg:R', rid, cmid, to, body });
const msgA = (actor: string, rid: string, cmid: string, smid: string, dup?: boolean) =>
  frame(actor, 'in', { type: 'msg:A', rid, cmid, smid, ts: 1, ...(dup ? { dup } : {}) });
const msgN = (
  actor: string,
  m: { smid: string; cmid: string; from: string; to: string; body: string; seq: number },
  attempt = 1,
) => frame(actor, 'in', { type: 'msg:N', ...m, prevSeq: m.seq - 1, ts: 1, attempt });
const judge = (events: HistoryEvent[]) => judgeAlwaysOn(events, [...CAPS]).map((f) => f.requirement);

describe('body-integrity (SEQ-3)', () => {
  const sent = 'héllo 😀 '.repeat(3);
  const exchange = (pushed: string) => [
    send('alice/p', 'c1', 'bob', sent),
    msgR('alice/p', 'r1', 'c1', 'bob', sent),
    msgA('alice/p', 'r1', 'c1', 's1'),
    msgN('bob/p', { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: pushed, seq: 1 }),
  ];
  it('fires when a push carries another body than the one sent', () => {
    expect(judge(exchange(sent.replaceAll('😀', '\uFFFD')))).toEqual(['SEQ-3']);
  });
  it('fires on a sync page item too', () => {
    const events = exchange(sent);
    events.push(
      frame('bob/p', 'in', {
        type: 'sync:A',
        rid: 'q',
        more: false,
        maxSeq: 1,
        msgs: [{ smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: sent.slice(0, 5), seq: 1, ts: 1 }],
      }),
    );
    expect(judge(events)).toEqual(['SEQ-3']);
  });
  it('is quiet when the body arrives intact', () => {
    expect(judge(exchange(sent))).toEqual([]);
  });
});

describe('smid-identity (MSG-2)', () => {
  it("fires when a second user's message gets the first user's smid", () => {
    const events = [
      msgR('alice/p', 'r1', 'c1', 'bob', 'a'),
      msgA('alice/p', 'r1', 'c1', 's1'),
      msgR('carol/p', 'r1', 'c1', 'bob', 'c'),
      msgA('carol/p', 'r1', 'c1', 's1', true),
    ];
    expect(judge(events)).toEqual(['MSG-2']);
  });
  it('fires when a push reuses the smid of an older message', () => {
    const events = [
      msgN('bob/p', { smid: 'm1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 1 }),
      msgN('bob/p', { smid: 'm1', cmid: 'c2', from: 'alice', to: 'bob', body: 'y', seq: 2 }),
    ];
    // A second "first push" of smid m1 is also a repeated attempt 1 (REPUSH-3).
    expect(judge(events)).toEqual(['MSG-2', 'REPUSH-3']);
  });
  it('is quiet for a retransmission answered with its own smid, and its pushes', () => {
    const events = [
      msgR('alice/p', 'r1', 'c1', 'bob', 'a'),
      msgA('alice/p', 'r1', 'c1', 's1'),
      msgR('alice/p', 'r2', 'c1', 'bob', 'a'),
      msgA('alice/p', 'r2', 'c1', 's1', true),
      msgN('bob/p', { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'a', seq: 1 }),
      msgN('bob/p', { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'a', seq: 1 }, 2),
    ];
    expect(judge(events)).toEqual([]);
  });
});

describe('push-after-ack (PUSH-2)', () => {
  const m1 = { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 1 };
  const m2 = { smid: 's2', cmid: 'c2', from: 'carol', to: 'bob', body: 'y', seq: 2 };
  const acked = () => [
    msgN('bob/p', m1),
    msgN('bob/p', m2),
    frame('bob/p', 'out', { type: 'ack:R', rid: 'k', upTo: 2 }),
    frame('bob/p', 'in', { type: 'ack:A', rid: 'k', upTo: 2 }),
  ];
  it('fires on a re-push of an acked seq after ack:A on the same connection', () => {
    expect(judge([...acked(), msgN('bob/p', m1, 2)])).toEqual(['PUSH-2']);
  });
  it('is quiet for a re-push that came before ack:A, or on a later connection before any ack', () => {
    const before = [msgN('bob/p', m1), msgN('bob/p', m1, 2), ...acked().slice(1)];
    expect(judge(before)).toEqual([]);
    expect(judge([...acked(), frame('bob/p', 'in', { ...msgN('bob/p', m1).fields }, 2)])).toEqual([]);
  });
  it('is quiet when the fault proxy acted on that device', () => {
    const events: HistoryEvent[] = [
      { kind: 'fault', t: 0, rule: 'dup', action: 'duplicate', actor: 'bob/p' },
      ...acked(),
      msgN('bob/p', m1, 2),
    ];
    expect(judge(events)).toEqual([]);
  });
});

describe('receipt-addressee (RCPT-2)', () => {
  const receipt = (actor: string, cmid: string, to: string) =>
    frame(actor, 'in', { type: 'ack:N', cmid, smid: 's', to, status: 'delivered', ts: 1 });
  it("fires when a receipt for another user's message reaches this one", () => {
    const events = [
      msgR('alice/p', 'r1', 'a1', 'bob', 'x'),
      msgR('carol/p', 'r1', 'c1', 'bob', 'y'),
      receipt('alice/p', 'c1', 'bob'),
    ];
    expect(judge(events)).toEqual(['RCPT-2']);
  });
  it('fires when a receipt names another receiver than the message had', () => {
    expect(judge([msgR('alice/p', 'r1', 'a1', 'bob', 'x'), receipt('alice/p', 'a1', 'dave')])).toEqual([
      'RCPT-2',
    ]);
  });
  it("fires when users share a cmid and one gets the receipt for the other's smid", () => {
    const events = [
      msgR('alice/p', 'r1', 'o.1', 'bob', 'x'),
      msgA('alice/p', 'r1', 'o.1', 'sa'),
      msgR('carol/p', 'r1', 'o.1', 'bob', 'y'),
      msgA('carol/p', 'r1', 'o.1', 'sc'),
      frame('carol/p', 'in', { type: 'ack:N', cmid: 'o.1', smid: 'sa', to: 'bob', status: 'delivered' }),
    ];
    expect(judge(events)).toEqual(['RCPT-2']);
  });
  it("is quiet for the sender's receipts, on any of its devices", () => {
    const events = [
      msgR('alice/p', 'r1', 'a1', 'bob', 'x'),
      receipt('alice/p', 'a1', 'bob'),
      receipt('alice/laptop', 'a1', 'bob'),
    ];
    expect(judge(events)).toEqual([]);
  });
});

describe('push-addressee (PUSH-3)', () => {
  const m = { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 1 };
  const sent = () => [msgR('alice/p', 'r1', 'c1', 'bob', 'x'), msgA('alice/p', 'r1', 'c1', 's1')];
  const page = (actor: string, item: Record<string, unknown>) =>
    frame(actor, 'in', { type: 'sync:A', rid: 'q', more: false, maxSeq: 1, msgs: [{ ...item, ts: 1 }] });
  it("fires when bob's message is pushed to a device of carol, and names both frames", () => {
    const events = [...sent(), msgN('bob/p', m), msgN('carol/p', m)];
    const findings = judgeAlwaysOn(events, [...CAPS]);
    expect(findings.map((f) => f.requirement)).toEqual(['PUSH-3']);
    expect(findings[0]!.evidence).toEqual([0, 3]);
    expect(findings[0]!.expected).toContain('its addressee bob');
    expect(findings[0]!.actual).toContain('carol/p, a device of carol, got it in a msg:N');
  });
  it('fires on a push to the sender, with no msg:R known (by its own to)', () => {
    expect(judge([msgN('alice/p', m)])).toEqual(['PUSH-3']);
  });
  it("fires when the push says to: carol but the sender's msg:R named bob", () => {
    const events = [...sent(), msgN('carol/p', { ...m, to: 'carol' })];
    const findings = judgeAlwaysOn(events, [...CAPS]);
    expect(findings.map((f) => f.requirement)).toEqual(['PUSH-3']);
    expect(findings[0]!.actual).toContain('that says to: carol');
  });
  it("fires on a sync page item of another user's inbox, once per device user and message", () => {
    const events = [...sent(), page('carol/p', m), page('carol/tablet', m), msgN('carol/p', m)];
    expect(judge(events)).toEqual(['PUSH-3']);
  });
  it("is quiet for the addressee's pushes, re-pushes and pages on any of its devices", () => {
    const events = [
      ...sent(),
      msgN('bob/p', m),
      msgN('bob/p', m, 2),
      msgN('bob/tablet', m),
      page('bob/p', m),
    ];
    expect(judge(events)).toEqual([]);
  });
  it('is quiet for a message to oneself', () => {
    const self = { ...m, to: 'alice' };
    expect(judge([msgR('alice/p', 'r1', 'c1', 'alice', 'x'), msgN('alice/laptop', self)])).toEqual([]);
  });
});

describe('push-chain (SEQ-4, REPUSH-3)', () => {
  const m = { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 3 };
  it('fires on a missing or non-decreasing prevSeq', () => {
    const bad = frame('bob/p', 'in', { type: 'msg:N', ...m, ts: 1, attempt: 1 });
    expect(judge([bad])).toEqual(['SEQ-4']);
    expect(judge([frame('bob/p', 'in', { type: 'msg:N', ...m, prevSeq: 3, ts: 1 })])).toEqual(['SEQ-4']);
  });
  it('fires when a re-push repeats or skips an attempt number', () => {
    expect(judge([msgN('bob/p', m), msgN('bob/p', m)])).toEqual(['REPUSH-3']);
    expect(judge([msgN('bob/p', m), msgN('bob/p', m, 3)])).toEqual(['REPUSH-3']);
  });
  it('is quiet for attempts 1, 2, 3 and a new connection starting at 1 again', () => {
    const again = frame('bob/p', 'in', { ...msgN('bob/p', m).fields }, 2);
    expect(judge([msgN('bob/p', m), msgN('bob/p', m, 2), msgN('bob/p', m, 3), again])).toEqual([]);
  });
});

describe('advertised-limits (DEDUP-5)', () => {
  const hello = (dedupWindowMs: number) =>
    frame('bob/p', 'in', { type: 'hello:A', rid: 'h', limits: { dedupWindowMs } });
  it('fires on a window under 24 hours and is quiet at 24 hours', () => {
    expect(judge([hello(60_000)])).toEqual(['DEDUP-5']);
    expect(judge([hello(86_400_000)])).toEqual([]);
  });
});

describe('forgetting (a streaming ledger retired the messages)', () => {
  const collect = (rule: (typeof ALWAYS_ON_RULES)[number]) => {
    const found: string[] = [];
    const events: HistoryEvent[] = [];
    const inner = new AlwaysOnJudges(
      [rule],
      (f) => found.push(f.requirement),
      (i) => events[i]!,
    );
    // Judges read back the events they hold by index, as the engine's log gives them.
    const judge = {
      event: (e: HistoryEvent, i: number) => {
        events[i] = e;
        inner.event(e, i);
      },
      forget: (floor: number) => inner.forget(floor),
    };
    return { found, judge };
  };
  it('a forgotten send is not read as never sent (RCPT-2), a fresh stranger still is', () => {
    const { found, judge } = collect(receiptAddressee);
    judge.event(msgR('alice/p', 'r1', 'a1', 'bob', 'x'), 0);
    judge.forget(1);
    judge.event(
      frame('alice/p', 'in', { type: 'ack:N', cmid: 'a1', smid: 's', to: 'bob', status: 'delivered' }),
      1,
    );
    expect(found).toEqual([]);
    judge.event(
      frame('alice/p', 'in', { type: 'ack:N', cmid: 'zz', smid: 's', to: 'bob', status: 'delivered' }),
      2,
    );
    expect(found).toEqual(['RCPT-2']);
  });
  it('a re-push of a forgotten message on its connection is not a miscounted attempt (REPUSH-3)', () => {
    const { found, judge } = collect(pushChain);
    const m = { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 1 };
    judge.event(msgN('bob/p', m), 0);
    judge.forget(1);
    judge.event(msgN('bob/p', m, 2), 1);
    expect(found).toEqual([]);
  });
});
