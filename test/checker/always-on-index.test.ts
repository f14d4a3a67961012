/**
 * The always-on judges' shared message index: every judge still fails on its literal violating
 * history when they all read one index, the index's keys go when a streaming ledger retires them
 * (memory follows what is in flight), and a forgotten key is never read as a violation.
 */

import { describe, expect, it } from 'vitest';
import { ALWAYS_ON_RULES, AlwaysOnJudges, judgeAlwaysOn } from '../../src/checker/always-on/index.js';
import { KeyTable } from '../../src/checker/always-on/message-index.js';
import { pushChain } from '../../src/checker/always-on/push-chain.js';
import { SeqChain } from '../../src/checker/always-on/seq-chain.js';
import { type AlwaysOnRule, ForgottenKeys } from '../../src/checker/always-on/types.js';
import { Arena } from '../../src/checker/ints.js';
import type { FrameEvent, HistoryEvent } from '../../src/history/events.js';
import { CAPS } from '../../src/protocol/frames.js';

let t = 0;
function frame(actor: string, dir: 'in' | 'out', fields: Record<string, unknown>, conn = 1): FrameEvent {
  return { kind: 'frame', t: ++t, actor, conn, dir, type: fields['type'] as never, fields, raw: '' };
}
const close = (actor: string, conn: number): HistoryEvent => ({
  kind: 'close',
  t: ++t,
  actor,
  conn,
  initiator: 'server',
  code: 1006,
  reason: '',
});

/** One clean message k from alice to bob (seq k + 1), as a correct server and bots record it. */
function exchange(k: number, body = `b${k}`): HistoryEvent[] {
  const cmid = `c${k}`;
  const smid = `s${k}`;
  const seq = k + 1;
  return [
    { kind: 'send', t: ++t, actor: 'alice/p', cmid, to: 'bob', body: `b${k}` },
    frame('alice/p', 'out', { type: 'msg:R', rid: `r${k}`, cmid, to: 'bob', body: `b${k}` }),
    frame('alice/p', 'in', { type: 'msg:A', rid: `r${k}`, cmid, smid, ts: 1 }),
    frame('bob/p', 'in', {
      type: 'msg:N',
      smid,
      cmid,
      from: 'alice',
      to: 'bob',
      body,
      seq,
      prevSeq: seq - 1,
      ts: 1,
      attempt: 1,
    }),
    frame('alice/p', 'in', { type: 'ack:N', cmid, smid, to: 'bob', status: 'delivered' }),
  ];
}

/** All the rules through one index, fed and forgotten as the engine does. */
function judges() {
  const found: string[] = [];
  const events: HistoryEvent[] = [];
  const j = new AlwaysOnJudges(
    ALWAYS_ON_RULES,
    (f) => found.push(f.requirement),
    (i) => events[i]!,
  );
  const feed = (es: HistoryEvent[]) => {
    for (const e of es) {
      events.push(e);
      j.event(e, events.length - 1);
    }
  };
  return { found, feed, j, events };
}

describe('the shared message index', () => {
  it('every judge still fails on its violation when they share one index (one message, five broken rules)', () => {
    const events = exchange(0, 'cut');
    // The same message: its body cut (SEQ-3), its smid reused by another user's message (MSG-2),
    // its receipt also sent to a stranger (RCPT-2), re-pushed with a skipped attempt (REPUSH-3),
    // and pushed to a stranger too (PUSH-3).
    events.push(
      frame('carol/p', 'out', { type: 'msg:R', rid: 'x', cmid: 'cx', to: 'bob', body: 'y' }),
      frame('carol/p', 'in', { type: 'msg:A', rid: 'x', cmid: 'cx', smid: 's0', ts: 1 }),
      frame('dave/p', 'in', { type: 'ack:N', cmid: 'c0', smid: 's0', to: 'bob', status: 'delivered' }),
      { ...(events[3] as FrameEvent), fields: { ...(events[3] as FrameEvent).fields, attempt: 3 } },
      { ...(events[3] as FrameEvent), actor: 'dave/p' },
    );
    expect(judgeAlwaysOn(events, [...CAPS]).map((f) => f.requirement)).toEqual([
      'SEQ-3',
      'PUSH-3',
      'MSG-2',
      'RCPT-2',
      'REPUSH-3',
    ]);
  });

  it('is quiet on clean exchanges, and forgets their keys when they are retired', () => {
    const { found, feed, j, events } = judges();
    for (let k = 0; k < 1000; k++) feed(exchange(k));
    expect(j.index.messages.live).toBe(1000);
    expect(j.index.smids.live).toBe(1000);
    j.forget(events.length);
    expect(j.index.messages.live).toBe(0);
    expect(j.index.smids.live).toBe(0);
    for (let k = 1000; k < 1100; k++) feed(exchange(k));
    // What is held follows what is in flight: the 100 messages since the retirement.
    expect(j.index.messages.live).toBe(100);
    expect(j.index.smids.live).toBe(100);
    expect(found).toEqual([]);
  });

  it('never reads a forgotten key as a violation (late push, re-push and receipt of retired messages)', () => {
    const { found, feed, j, events } = judges();
    const first = exchange(0, 'b0');
    feed(first);
    j.forget(events.length);
    // A late re-push (attempt 2) and a late receipt of the retired message: nothing to judge them by.
    feed([
      { ...(first[3] as FrameEvent), fields: { ...(first[3] as FrameEvent).fields, attempt: 2 } },
      first[4]!,
    ]);
    expect(found).toEqual([]);
    // A fresh violation after the retirement is still caught.
    feed(exchange(1, 'cut'));
    expect(found).toEqual(['SEQ-3']);
  });

  it('keeps one slot per key, finds it again, and tells listeners what it drops', () => {
    const table = new KeyTable();
    const dropped: string[] = [];
    table.onDrop((_slot, a, b) => dropped.push(`${a}/${b}`));
    const a = table.slot('alice', 'c1', 0);
    expect(table.slot('alice', 'c1', 5)).toBe(a);
    expect(table.find('alice', 'c2')).toBe(-1);
    const b = table.slot('alice', 'c2', 3);
    expect(table.find('bob', 'c1')).toBe(-1);
    expect(table.find('alice', 'c1')).toBe(a);
    table.forget(1);
    expect(dropped).toEqual(['alice/c1']);
    expect(table.find('alice', 'c1')).toBe(-1);
    expect(table.find('alice', 'c2')).toBe(b);
    expect(table.bornAt(b)).toBe(3);
  });
});

describe('KeyTable at scale (its hash table grows, and is cleaned of forgotten keys)', () => {
  it.each([
    ['room made up front (as check() does)', true],
    ['growing as it goes (as the streaming ledger does)', false],
  ])('finds every live key and none of the forgotten ones across growths and forgets: %s', (_, reserve) => {
    const table = new KeyTable();
    // Room made up front changes nothing found.
    if (reserve) table.reserve(30_000);
    let born = 0;
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 20_000; k++) table.slot(`u${k % 7}`, `c${round}-${k}`, born++);
      for (let k = 0; k < 3_000; k++) table.slot(`m${round}-${k}`, '', born++);
      // Keep the last round's keys and half of this one's.
      table.forget(born - 11_500);
    }
    expect(table.live).toBe(11_500);
    for (let k = 0; k < 20_000; k++) {
      const slot = table.find(`u${k % 7}`, `c4-${k}`);
      if (k < 11_500) expect(slot).toBe(-1);
      else expect(table.keyIs(slot, `u${k % 7}`, `c4-${k}`)).toBe(true);
    }
    for (let k = 0; k < 3_000; k++) expect(table.find(`m4-${k}`)).toBeGreaterThanOrEqual(0);
    expect(table.find('m3-0')).toBe(-1);
    // A pair is not the one-part key of its joined text, nor of its second part.
    expect(table.find('u1c4-1')).toBe(-1);
    expect(table.find('c4-11999')).toBe(-1);
    table.slot('c4-11999', '', born++);
    expect(table.find('c4-11999')).not.toBe(table.find('u1', 'c4-11999'));
    expect(table.keyIs(table.find('u1', 'c4-11999'), 'u1', 'c4-11999')).toBe(true);
    expect(table.keyIs(table.find('c4-11999'), 'c4-11999')).toBe(true);
    // The slots keep one string each: which part it is must be told apart.
    expect(table.keyIs(table.find('u1', 'c4-11999'), 'c4-11999')).toBe(false);
    expect(table.keyIs(table.find('c4-11999'), 'u1', 'c4-11999')).toBe(false);
  });
});

describe("ForgottenKeys (a retired message's key, to tell a late echo from a stranger)", () => {
  it('knows the keys of its two generations, asked before and after more come, and says when it lost one', () => {
    const keys = new ForgottenKeys(3);
    expect(keys.has('alice', 'c1')).toBe(false);
    keys.add('alice', 'c1');
    keys.add('bob', 'c1');
    expect(keys.has('alice', 'c1')).toBe(true);
    expect(keys.has('alice', 'c2')).toBe(false);
    // Added after it was asked (and the third key starts a new generation): still found.
    keys.add('alice', 'c2');
    expect(keys.has('alice', 'c2')).toBe(true);
    expect(keys.has('bob', 'c1')).toBe(true);
    keys.add('carol', 'c3');
    keys.add('carol', 'c4');
    expect(keys.has('carol', 'c4')).toBe(true);
    expect(keys.has('alice', 'c1')).toBe(true);
    expect(keys.lossy).toBe(false);
    // A third generation drops the first.
    keys.add('carol', 'c5');
    expect(keys.lossy).toBe(true);
    expect(keys.has('alice', 'c1')).toBe(false);
    expect(keys.has('carol', 'c3')).toBe(true);
    expect(keys.has('carol', 'c5')).toBe(true);
    expect(keys.has('bob', 'c3')).toBe(false);
  });
});

describe('push-chain through the index', () => {
  const push = (actor: string, conn: number, seq: number, attempt: number) =>
    frame(
      actor,
      'in',
      {
        type: 'msg:N',
        smid: `s${seq}`,
        cmid: `c${seq}`,
        from: 'alice',
        to: 'bob',
        body: 'x',
        seq,
        prevSeq: seq - 1,
        ts: 1,
        attempt,
      },
      conn,
    );
  const run = (events: HistoryEvent[]) => judgeAlwaysOn(events, [...CAPS]).map((f) => f.requirement);

  it('counts attempts per connection: two devices at once, and a reconnect, each start at 1', () => {
    expect(
      run([
        push('bob/p', 1, 1, 1),
        push('bob/t', 1, 1, 1),
        push('bob/p', 1, 1, 2),
        push('bob/t', 1, 1, 2),
        close('bob/p', 1),
        push('bob/p', 2, 1, 1),
      ]),
    ).toEqual([]);
    // The first device's connection goes; the second keeps counting its own pushes.
    expect(
      run([
        push('bob/p', 1, 1, 1),
        push('bob/t', 1, 1, 1),
        close('bob/p', 1),
        push('bob/t', 1, 1, 2),
        push('bob/t', 1, 1, 3),
      ]),
    ).toEqual([]);
  });
  it('fires on a second device whose first push says attempt 2, and on a skip after a reconnect', () => {
    expect(run([push('bob/p', 1, 1, 1), push('bob/t', 1, 1, 2)])).toEqual(['REPUSH-3']);
    expect(run([push('bob/p', 1, 1, 1), close('bob/p', 1), push('bob/p', 2, 1, 2)])).toEqual(['REPUSH-3']);
  });
  it('fires when a seq is pushed again with another prevSeq, also past the dense array', () => {
    const other = (seq: number, prevSeq: number) =>
      frame('bob/p', 'in', { ...push('bob/p', 1, seq, 2).fields, prevSeq });
    expect(run([push('bob/p', 1, 5, 1), other(5, 2)])).toEqual(['SEQ-4']);
    expect(run([push('bob/p', 1, 5, 1), push('bob/p', 1, 900_000, 1), other(900_000, 7)])).toEqual(['SEQ-4']);
  });
  it('a forgotten re-push on a connection is not a miscounted attempt; one on a fresh connection is', () => {
    const found: string[] = [];
    const events: HistoryEvent[] = [];
    const j = new AlwaysOnJudges(
      [pushChain],
      (f) => found.push(f.requirement),
      (i) => events[i]!,
    );
    const feed = (e: HistoryEvent) => {
      events.push(e);
      j.event(e, events.length - 1);
    };
    feed(push('bob/p', 1, 1, 1));
    j.forget(1);
    feed(push('bob/p', 1, 1, 2));
    expect(found).toEqual([]);
    feed(push('bob/q', 1, 2, 2));
    expect(found).toEqual(['REPUSH-3']);
  });
});

describe('SeqChain (an inbox for push-chain)', () => {
  it('holds seqs densely, forgets the front by birth, and takes late or far seqs in its map', () => {
    const c = new SeqChain(new Arena());
    for (let seq = 1; seq <= 100; seq++) c.add(seq, seq - 1, seq);
    expect(c.born(50)).toBe(50);
    expect(c.prev(50)).toBe(49);
    c.forget(61);
    expect(c.size).toBe(40);
    expect(c.born(50)).toBe(-1);
    // Late: below the array, now first sighted.
    c.add(50, 10, 200);
    expect(c.born(50)).toBe(200);
    expect(c.prev(50)).toBe(10);
    c.add(1_000_000, 7, 201);
    expect(c.born(1_000_000)).toBe(201);
    c.forget(1000);
    expect(c.size).toBe(0);
  });
});

describe('dispatch (each judge is fed the kinds of event it reads, and only those)', () => {
  /** A rule reading `reads`, recording the kind or frame type of every event it is fed. */
  const recorder = (reads: AlwaysOnRule['reads'], got: string[]): AlwaysOnRule => ({
    name: 'recorder',
    requirements: [],
    reads,
    start: () => ({
      event: (e) => got.push(e.kind === 'frame' ? String(e.type) : e.kind),
      forget: () => {},
    }),
  });
  // The common kinds (a switch, judges.ts commonSlot) and others (the Map), in one history.
  const kinds: HistoryEvent[] = [
    { kind: 'send', t: 1, actor: 'alice/p', cmid: 'c1', to: 'bob', body: 'x' },
    frame('alice/p', 'out', { type: 'msg:R', rid: 'r', cmid: 'c1', to: 'bob', body: 'x' }),
    frame('alice/p', 'in', { type: 'msg:A', rid: 'r', cmid: 'c1', smid: 's1', ts: 1 }),
    frame('bob/p', 'in', { type: 'msg:N', smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', seq: 1 }),
    {
      kind: 'commit',
      t: 2,
      actor: 'bob/p',
      smid: 's1',
      cmid: 'c1',
      from: 'alice',
      seq: 1,
      body: 'x',
      via: 'push',
    },
    frame('bob/p', 'out', { type: 'ack:R', rid: 'a', upTo: 1 }),
    frame('bob/p', 'in', { type: 'ack:A', rid: 'a', upTo: 1 }),
    frame('alice/p', 'in', { type: 'ack:N', cmid: 'c1', smid: 's1', to: 'bob', status: 'delivered' }),
    frame('bob/p', 'out', { type: 'sync:R', rid: 'y', afterSeq: 0, limit: 10 }),
    frame('bob/p', 'in', { type: 'sync:A', rid: 'y', msgs: [], hasMore: false }),
    { kind: 'close', t: 3, actor: 'bob/p', conn: 1, initiator: 'client', code: 1000, reason: '' },
  ];
  const fed = (reads: AlwaysOnRule['reads']) => {
    const got: string[] = [];
    const j = new AlwaysOnJudges(
      [recorder(reads, got)],
      () => {},
      (i) => kinds[i]!,
    );
    for (let i = 0; i < kinds.length; i++) j.event(kinds[i]!, i);
    return got;
  };

  it('a reader of every kind in the history gets each event once, in order', () => {
    const all = kinds.map((e) => (e.kind === 'frame' ? String(e.type) : e.kind)) as AlwaysOnRule['reads'];
    expect(fed(all)).toEqual(all);
  });

  it('a reader of one kind gets that kind only, common or not', () => {
    for (const what of [
      'send',
      'msg:R',
      'msg:A',
      'msg:N',
      'commit',
      'ack:R',
      'ack:A',
      'ack:N',
      'sync:A',
      'close',
    ] as const)
      expect(fed([what])).toEqual([what]);
    expect(fed(['hello:A'])).toEqual([]);
  });
});
