import { describe, expect, it } from 'vitest';
import { type FrameInfo, FrameRuleEngine } from '../../src/faults/frame-engine.js';
import { FrameIdentities } from '../../src/faults/frame-identity.js';
import { RuleGate } from '../../src/faults/gate.js';
import { createRng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FrameRule } from '../../src/faults/types.js';
import type { FrameType } from '../../src/protocol/frames.js';

function engine(raw: unknown[], seed = 'e', clock = () => 0) {
  const rules = resolveFaultRules(raw) as readonly FrameRule[];
  const gate = new RuleGate(rules, clock);
  return { engine: new FrameRuleEngine(rules, createRng(seed), gate), gate };
}

let serial = 0;

/** A frame with an identity of its own (the n-th frame made here). */
function frame(
  type: FrameType | undefined,
  direction: FrameInfo['direction'] = 'to-server',
  actor = 'alice/phone',
  identity = `${actor}#1|${direction}|${type}|#${++serial}`,
): FrameInfo {
  return { type, direction, actor, user: actor.split('/')[0], identity };
}

/** Which of `frames` (1-based) the rule set acts on, and with which rule. */
function hits(e: FrameRuleEngine, frames: FrameInfo[]): string[] {
  return frames.flatMap((f, i) => {
    const rule = e.decide(f);
    return rule ? [`${i + 1}:${rule.id}`] : [];
  });
}

describe('frame rule selection', () => {
  it('selects by op, kind and direction', () => {
    const { engine: e } = engine([
      { id: 'msgA', match: { op: 'msg', kind: 'A' }, action: 'drop' },
      { id: 'anyN-to-client', match: { kind: 'N', direction: 'to-client' }, action: 'drop' },
      { id: 'ack-or-sync-R', match: { op: ['ack', 'sync'], kind: 'R' }, action: 'drop' },
    ]);
    const frames = [
      frame('msg:R'),
      frame('msg:A', 'to-client'),
      frame('msg:N', 'to-client'),
      frame('ack:N', 'to-client'),
      frame('ack:R'),
      frame('sync:R'),
      frame('sync:A', 'to-client'),
    ];
    expect(hits(e, frames)).toEqual([
      '2:msgA',
      '3:anyN-to-client',
      '4:anyN-to-client',
      '5:ack-or-sync-R',
      '6:ack-or-sync-R',
    ]);
  });

  it('selects by user or by exact actor; frames before hello have no user', () => {
    const { engine: e } = engine([
      { id: 'bob', match: { user: 'bob' }, action: 'drop' },
      { id: 'alice-laptop', match: { user: 'alice/laptop' }, action: 'drop' },
    ]);
    expect(e.decide(frame('msg:R', 'to-server', 'bob/tablet'))?.id).toBe('bob');
    expect(e.decide(frame('msg:R', 'to-server', 'alice/laptop'))?.id).toBe('alice-laptop');
    expect(e.decide(frame('msg:R', 'to-server', 'alice/phone'))).toBeUndefined();
    expect(
      e.decide({ type: 'ping:R', direction: 'to-server', user: undefined, actor: undefined, identity: 'x' }),
    ).toBeUndefined();
  });

  it('selects undecodable frames only when asked, and never by op', () => {
    const { engine: e } = engine([
      { id: 'op', match: { op: 'msg' }, action: 'drop' },
      { id: 'bad', match: { undecodable: true }, action: 'drop' },
    ]);
    expect(e.decide(frame(undefined))?.id).toBe('bad');
    expect(e.decide(frame('ping:R'))).toBeUndefined();
  });

  it('nth acts once on the n-th match; every acts on each n-th; times caps both', () => {
    const msgs = Array.from({ length: 9 }, () => frame('msg:R'));
    expect(hits(engine([{ id: 'n3', nth: 3, action: 'drop' }]).engine, msgs)).toEqual(['3:n3']);
    expect(hits(engine([{ id: 'e3', every: 3, action: 'drop' }]).engine, msgs)).toEqual([
      '3:e3',
      '6:e3',
      '9:e3',
    ]);
    expect(hits(engine([{ id: 'e2', every: 2, times: 2, action: 'drop' }]).engine, msgs)).toEqual([
      '2:e2',
      '4:e2',
    ]);
    expect(hits(engine([{ id: 't', times: 2, action: 'drop' }]).engine, msgs)).toEqual(['1:t', '2:t']);
  });

  it('counts a frame for every matching rule even when an earlier rule acts on it', () => {
    const { engine: e } = engine([
      { id: 'first', nth: 2, action: 'drop' },
      { id: 'second', nth: 2, action: 'duplicate' },
      { id: 'third', nth: 3, action: 'duplicate' },
    ]);
    // Frame 2 is the 2nd match of both 'first' and 'second'; 'first' wins it, 'second' does not
    // get a later frame instead, and 'third' still sees frame 3 as its 3rd match.
    expect(hits(e, [frame('msg:R'), frame('msg:R'), frame('msg:R'), frame('msg:R')])).toEqual([
      '2:first',
      '3:third',
    ]);
  });

  it('probability draws from the rule and the frame identity: same seed, same choices, whatever came between', () => {
    const msgs = Array.from({ length: 400 }, (_, i) => frame('msg:R', 'to-server', 'alice/phone', `m${i}`));
    const run = (seed: string) =>
      hits(engine([{ id: 'p', probability: 0.1, action: 'drop' }], seed).engine, msgs);
    const a = run('s1');
    expect(a.length).toBeGreaterThan(20);
    expect(a.length).toBeLessThan(70);
    expect(run('s1')).toEqual(a);
    expect(run('s2')).not.toEqual(a);
    // Other frames in between (another connection, an ack more or fewer) shift nothing.
    const { engine: e } = engine([{ id: 'p', probability: 0.1, action: 'drop' }], 's1');
    const interleaved: string[] = [];
    msgs.forEach((f, i) => {
      if (i % 3 === 0) e.decide(frame('ack:R', 'to-server', 'bob/phone'));
      if (e.decide(f)) interleaved.push(`${i + 1}:p`);
    });
    expect(interleaved).toEqual(a);
    // In reverse order, the same frames meet the same fates.
    const reversed = [...msgs].reverse().flatMap((f) => (e.decide(f) ? [f.identity] : []));
    expect(reversed.sort()).toEqual(a.map((h) => `m${Number(h.split(':')[0]) - 1}`).sort());
  });

  it('step windows: in force from `from` (inclusive) until `until` (exclusive); setActive overrides', () => {
    const { engine: e, gate } = engine([{ id: 'w', from: 2, until: 4, action: 'drop' }]);
    const at = (step: number) => {
      gate.setStep(step);
      return e.decide(frame('msg:R')) !== undefined;
    };
    expect([0, 1, 2, 3, 4, 5].map(at)).toEqual([false, false, true, true, false, false]);
    gate.setActive('w', true);
    expect(at(9)).toBe(true);
    gate.setActive('w', false);
    expect(at(2)).toBe(false);
    gate.setActive('w', undefined);
    expect(at(2)).toBe(true);
  });

  it('time windows follow the clock; nth counts only matches inside the window', () => {
    let now = 0;
    const { engine: e } = engine(
      [{ id: 't', from: '100ms', until: '1s', nth: 2, action: 'drop' }],
      'e',
      () => now,
    );
    const at = (t: number) => {
      now = t;
      return e.decide(frame('msg:R')) !== undefined;
    };
    expect([0, 50, 100, 200, 300, 1000].map(at)).toEqual([false, false, false, true, false, false]);
  });
});

describe('frame identities', () => {
  const alice = { actor: 'run9-alice/phone', user: 'run9-alice', conn: 1 };
  const bob = { actor: 'run9-bob/phone', user: 'run9-bob', conn: 1 };
  const msgR = (cmid: string) => ({ type: 'msg:R', rid: 'r', cmid, to: 'run9-bob', body: 'b' }) as const;

  it("name a message by its ordinal among its sender's messages, whatever its cmid, and count attempts", () => {
    const ids = new FrameIdentities('run9-');
    expect(ids.of('to-server', msgR('x7.1'), alice)).toBe('alice/phone#1|to-server|msg:R|alice.1|#1');
    expect(ids.of('to-server', msgR('x7.2'), alice)).toBe('alice/phone#1|to-server|msg:R|alice.2|#1');
    // The retransmission of the first message is its second attempt.
    expect(ids.of('to-server', msgR('x7.1'), alice)).toBe('alice/phone#1|to-server|msg:R|alice.1|#2');
    // Its push to bob and its receipt to alice carry the same message ordinal.
    const push = {
      type: 'msg:N',
      smid: 's',
      cmid: 'x7.2',
      from: 'run9-alice',
      to: 'run9-bob',
      body: 'b',
      seq: 2,
      ts: 1,
    } as const;
    expect(ids.of('to-client', push, bob)).toBe('bob/phone#1|to-client|msg:N|alice.2|#1');
    const receipt = {
      type: 'ack:N',
      cmid: 'x7.2',
      smid: 's',
      to: 'run9-bob',
      status: 'delivered',
      ts: 1,
    } as const;
    expect(ids.of('to-client', receipt, alice)).toBe('alice/phone#1|to-client|ack:N|alice.2|delivered|#1');
  });

  it("are the same in another run whose bots spelt their cmids and their acks' rids differently", () => {
    const run = (cmidPrefix: string, rids: string[]) => {
      const ids = new FrameIdentities('run9-');
      const out = [1, 2, 3].map((k) => ids.of('to-server', msgR(`${cmidPrefix}.${k}`), alice));
      out.push(...rids.map((rid) => ids.of('to-server', { type: 'ack:R', rid, upTo: 3 }, bob)));
      return out;
    };
    expect(run('aa', ['~1'])).toEqual(run('bb', ['~9']));
  });

  it('give a frame the same fate in two runs even when another frame (an extra ack) came before it', () => {
    const { engine: e } = engine([{ id: 'p', probability: 0.5, action: 'drop' }], 'seed');
    const fates = (extraAck: boolean) => {
      const ids = new FrameIdentities('');
      const info = (
        direction: FrameInfo['direction'],
        f: Parameters<FrameIdentities['of']>[1],
        c = alice,
      ) => ({
        direction,
        type: f?.type,
        user: c.user,
        actor: c.actor,
        identity: ids.of(direction, f, c),
      });
      const out: string[] = [];
      for (let k = 1; k <= 40; k++) {
        if (extraAck && k === 3) e.decide(info('to-server', { type: 'ack:R', rid: 'z', upTo: 1 }, bob));
        if (e.decide(info('to-server', msgR(`c.${k}`)))) out.push(`c.${k}`);
      }
      return out;
    };
    const plain = fates(false);
    expect(plain.length).toBeGreaterThan(5);
    expect(fates(true)).toEqual(plain);
  });
});
