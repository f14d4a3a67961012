import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FrameRule } from '../../src/faults/types.js';

function fails(raw: unknown[]): ScenarioError {
  try {
    resolveFaultRules(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected resolveFaultRules to throw');
}

describe('resolveFaultRules', () => {
  it('resolves the short forms of the YAML examples with their defaults', () => {
    const [a, b] = resolveFaultRules([
      { id: 'lose-msg-a', match: { op: 'msg', kind: 'A' }, nth: 1, action: 'drop' },
      { match: { direction: 'to-client' }, probability: 0.05, action: 'drop', from: 2, until: 5 },
    ]);
    expect(a).toEqual({
      id: 'lose-msg-a',
      layer: 'frame',
      match: { op: ['msg'], kind: ['A'] },
      nth: 1,
      every: undefined,
      times: undefined,
      probability: 1,
      window: {},
      action: { type: 'drop' },
      loc: undefined,
    });
    expect(b).toMatchObject({
      id: 'fault-2',
      match: { direction: 'to-client' },
      probability: 0.05,
      window: { from: { step: 2 }, until: { step: 5 } },
    });
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen((a as FrameRule).match.op)).toBe(true);
  });

  it('fills every action default and parses durations', () => {
    const rules = resolveFaultRules([
      { action: 'duplicate' },
      { action: { type: 'delay', by: '1.5s', jitter: 20 } },
      { action: 'reorder' },
      { action: 'corrupt' },
      { action: { type: 'corrupt', mode: 'schema', field: 'cmid' } },
      { action: 'cut' },
      { action: { type: 'stall', for: '2s' } },
      { action: { type: 'latency', by: '100ms' } },
      { action: { type: 'bandwidth', bytesPerSecond: 1000 } },
      { action: 'reset' },
      { action: 'blackhole' },
      { action: { type: 'slice', bytes: 4, gap: '5ms' } },
      { from: '500ms', until: '1m', action: 'drop' },
    ]);
    expect(rules.map((r) => r.action)).toEqual([
      { type: 'duplicate', copies: 1 },
      { type: 'delay', ms: 1500, jitterMs: 20 },
      { type: 'reorder', after: 1, maxHoldMs: 1000 },
      { type: 'corrupt', mode: 'json' },
      { type: 'corrupt', mode: 'schema', field: 'cmid' },
      { type: 'cut', mode: 'close', code: 1000, forward: true },
      { type: 'stall', ms: 2000 },
      { type: 'latency', ms: 100, jitterMs: 0 },
      { type: 'bandwidth', bytesPerSecond: 1000 },
      { type: 'reset', afterBytes: 0 },
      { type: 'blackhole', ms: undefined },
      { type: 'slice', bytes: 4, delayMs: 5 },
      { type: 'drop' },
    ]);
    expect(rules.map((r) => r.layer)).toEqual([
      ...Array(7).fill('frame'),
      ...Array(5).fill('stream'),
      'frame',
    ]);
    expect(rules[12]!.window).toEqual({ from: { ms: 500 }, until: { ms: 60_000 } });
  });

  it('accepts lists of ops, kinds and users', () => {
    const [r] = resolveFaultRules([
      { match: { op: ['msg', 'ack'], kind: ['R', 'N'], user: ['bob', 'alice/phone'] }, action: 'drop' },
    ]);
    expect(r!.match).toEqual({ op: ['msg', 'ack'], kind: ['R', 'N'], user: ['bob', 'alice/phone'] });
  });

  it('refuses an unknown key and suggests the near miss', () => {
    expect(fails([{ action: 'drop', probabilty: 0.5 }]).message).toBe(
      'faults[0].probabilty: unknown key "probabilty" (did you mean "probability"?); allowed here: id, description, match, nth, every, times, probability, from, until, action',
    );
  });

  it('refuses an unknown action and names both action families', () => {
    expect(fails([{ action: 'dorp' }]).message).toMatch(
      /faults\[0\]\.action: unknown action "dorp" \(did you mean "drop"\?\); frame actions: drop, duplicate/,
    );
  });

  it('says which parameter an action needs, with an example', () => {
    expect(fails([{ action: 'delay' }]).message).toBe(
      'faults[0].action: action delay needs parameters, e.g. {type: delay, by: 200ms, jitter: 50ms}',
    );
    expect(fails([{ action: { type: 'delay', jitter: 5 } }]).message).toMatch(/needs `by`/);
  });

  it('refuses frame selectors on a stream action', () => {
    expect(fails([{ match: { op: 'msg' }, action: { type: 'latency', by: 10 } }]).message).toMatch(
      /faults\[0\]\.match\.op: `op` selects RAN\/1 frames, but latency is a stream action/,
    );
  });

  it('refuses nth together with every, a bad probability, and an empty window', () => {
    expect(fails([{ nth: 1, every: 2, action: 'drop' }]).message).toMatch(
      /faults\[0\]\.every: `nth`.*exclude each other/,
    );
    expect(fails([{ probability: 1.5, action: 'drop' }]).message).toMatch(
      /probability must be a number from 0 to 1/,
    );
    expect(fails([{ from: 5, until: 5, action: 'drop' }]).message).toMatch(
      /faults\[0\]\.until: until \(5\) must be after from \(5\)/,
    );
    expect(fails([{ from: 1.5, action: 'drop' }]).message).toMatch(/a window bound is a step index/);
  });

  it('refuses duplicate ids, including a default id taken explicitly', () => {
    expect(fails([{ action: 'drop' }, { id: 'fault-1', action: 'drop' }]).message).toBe(
      'faults[1].id: id "fault-1" is already used by faults[0]; give each rule its own id',
    );
  });

  it('places errors at the YAML position of the offending key, or its nearest located parent', () => {
    const positions = new Map([
      ['0', { file: 's.yaml', line: 7, col: 5 }],
      ['0/action', { file: 's.yaml', line: 8, col: 13 }],
    ]);
    const locate = (path: readonly (string | number)[]) => positions.get(path.join('/'));
    try {
      resolveFaultRules([{ action: { type: 'delay', by: 'soon' } }], { locate });
      expect.unreachable();
    } catch (e) {
      expect((e as ScenarioError).position).toEqual({ file: 's.yaml', line: 8, col: 13 });
      expect((e as ScenarioError).message).toMatch(
        /^s\.yaml:8:13: faults\[0\]\.action\.by: by must be milliseconds/,
      );
    }
    const [rule] = resolveFaultRules([{ action: 'drop' }], { locate });
    expect(rule!.loc).toEqual({ file: 's.yaml', line: 7, col: 5 });
  });
});
