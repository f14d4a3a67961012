import { describe, expect, it } from 'vitest';
import { type FrameInfo, FrameRuleEngine, type StreamSource } from '../../src/faults/frame-engine.js';
import { RuleGate } from '../../src/faults/gate.js';
import { createRng, type Rng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FrameRule } from '../../src/faults/types.js';
import type { FrameType } from '../../src/protocol/frames.js';

function engine(raw: unknown[], seed = 'e', clock = () => 0) {
  const rules = resolveFaultRules(raw) as readonly FrameRule[];
  const gate = new RuleGate(rules, clock);
  return { engine: new FrameRuleEngine(rules, createRng(seed), gate), gate };
}

const conn = (key = 'alice/phone#1'): StreamSource => ({ streamKey: key, streams: new Map<string, Rng>() });

function frame(
  type: FrameType | undefined,
  direction: FrameInfo['direction'] = 'to-server',
  actor = 'alice/phone',
): FrameInfo {
  return { type, direction, actor, user: actor.split('/')[0] };
}

/** Which of `frames` (1-based) the rule set acts on, and with which rule. */
function hits(e: FrameRuleEngine, frames: FrameInfo[], source = conn()): string[] {
  return frames.flatMap((f, i) => {
    const rule = e.decide(f, source);
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
    expect(e.decide(frame('msg:R', 'to-server', 'bob/tablet'), conn())?.id).toBe('bob');
    expect(e.decide(frame('msg:R', 'to-server', 'alice/laptop'), conn())?.id).toBe('alice-laptop');
    expect(e.decide(frame('msg:R', 'to-server', 'alice/phone'), conn())).toBeUndefined();
    expect(
      e.decide({ type: 'ping:R', direction: 'to-server', user: undefined, actor: undefined }, conn()),
    ).toBeUndefined();
  });

  it('selects undecodable frames only when asked, and never by op', () => {
    const { engine: e } = engine([
      { id: 'op', match: { op: 'msg' }, action: 'drop' },
      { id: 'bad', match: { undecodable: true }, action: 'drop' },
    ]);
    expect(e.decide(frame(undefined), conn())?.id).toBe('bad');
    expect(e.decide(frame('ping:R'), conn())).toBeUndefined();
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

  it('probability draws from a per-rule, per-connection stream: same seed, same choices', () => {
    const msgs = Array.from({ length: 400 }, () => frame('msg:R'));
    const run = (seed: string) =>
      hits(engine([{ id: 'p', probability: 0.1, action: 'drop' }], seed).engine, msgs);
    const a = run('s1');
    expect(a.length).toBeGreaterThan(20);
    expect(a.length).toBeLessThan(70);
    expect(run('s1')).toEqual(a);
    expect(run('s2')).not.toEqual(a);
    // Another connection's frames in between do not shift this connection's draws.
    const { engine: e } = engine([{ id: 'p', probability: 0.1, action: 'drop' }], 's1');
    const mine = conn('alice/phone#1');
    const other = conn('bob/phone#1');
    const interleaved: string[] = [];
    msgs.forEach((f, i) => {
      e.decide(frame('msg:R', 'to-server', 'bob/phone'), other);
      if (e.decide(f, mine)) interleaved.push(`${i + 1}:p`);
    });
    expect(interleaved).toEqual(a);
  });

  it('step windows: in force from `from` (inclusive) until `until` (exclusive); setActive overrides', () => {
    const { engine: e, gate } = engine([{ id: 'w', from: 2, until: 4, action: 'drop' }]);
    const at = (step: number) => {
      gate.setStep(step);
      return e.decide(frame('msg:R'), conn()) !== undefined;
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
      return e.decide(frame('msg:R'), conn()) !== undefined;
    };
    expect([0, 50, 100, 200, 300, 1000].map(at)).toEqual([false, false, false, true, false, false]);
  });
});
