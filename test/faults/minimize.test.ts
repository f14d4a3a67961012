import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { minimize } from '../../src/faults/ddmin.js';
import { replayRules, rulesToYaml, ruleToYaml, toYaml } from '../../src/faults/replay.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FaultRecord } from '../../src/faults/types.js';

describe('minimize (ddmin)', () => {
  it('finds the two events that together cause a failure among fifty', async () => {
    const events = Array.from({ length: 50 }, (_, i) => i);
    const culprit = (s: readonly number[]) => s.includes(17) && s.includes(42);
    const result = await minimize(events, culprit);
    expect(result.events).toEqual([17, 42]);
    expect(result.exhausted).toBe(false);
    // Far fewer runs than the 2^50 subsets, and fewer than trying each pair.
    expect(result.runs).toBeLessThan(60);
  });

  it('returns a 1-minimal set: removing any one event makes the predicate pass', async () => {
    // Fails when at least 3 of the events 0..9 are present.
    const events = Array.from({ length: 20 }, (_, i) => i);
    const fails = (s: readonly number[]) => s.filter((x) => x < 10).length >= 3;
    const { events: min } = await minimize(events, fails);
    expect(min).toHaveLength(3);
    expect(fails(min)).toBe(true);
    for (let i = 0; i < min.length; i++) expect(fails(min.filter((_, j) => j !== i))).toBe(false);
  });

  it('returns no events when the case fails without any fault', async () => {
    const result = await minimize([1, 2, 3], () => true);
    expect(result).toEqual({ events: [], runs: 1, exhausted: false });
  });

  it('awaits an async predicate and never runs the same subset twice', async () => {
    const seen = new Set<string>();
    let repeats = 0;
    const { events } = await minimize(
      Array.from({ length: 16 }, (_, i) => i),
      async (s) => {
        const key = s.join(',');
        if (seen.has(key)) repeats++;
        seen.add(key);
        await Promise.resolve();
        return s.includes(5);
      },
    );
    expect(events).toEqual([5]);
    expect(repeats).toBe(0);
  });

  it('stops at maxRuns with the smallest failing subset found so far', async () => {
    const events = Array.from({ length: 64 }, (_, i) => i);
    const result = await minimize(events, (s) => s.includes(3) && s.includes(60), { maxRuns: 3 });
    expect(result.exhausted).toBe(true);
    expect(result.runs).toBe(3);
    expect(result.events).toContain(3);
    expect(result.events).toContain(60);
  });

  it('skips consequence events (with a cause): their cause reproduces them', async () => {
    const events = [record(1, 'stall'), { ...record(2, 'stall'), cause: 1 }, record(3, 'drop')];
    const tried: number[][] = [];
    const { events: min } = await minimize(events, (s) => {
      tried.push(s.map((e) => e.id));
      return s.some((e) => e.id === 3);
    });
    expect(min.map((e) => e.id)).toEqual([3]);
    expect(tried.flat()).not.toContain(2);
  });
});

function record(id: number, action: string, extra: Partial<FaultRecord> = {}): FaultRecord {
  return {
    kind: 'fault',
    t: id,
    id,
    rule: 'r',
    action,
    actor: 'alice/phone',
    layer: 'frame',
    params: {},
    direction: 'to-client',
    type: 'msg:A',
    occurrence: id,
    conn: 1,
    ...extra,
  };
}

describe('replay rules and YAML', () => {
  it('turns each event into "act on the k-th frame of this actor, direction and type"', () => {
    const rules = replayRules([
      record(3, 'delay', { rule: 'slow', params: { ms: 137 }, occurrence: 4 }),
      record(4, 'corrupt', {
        rule: 'spoil',
        params: { mode: 'schema', field: 'smid' },
        direction: 'to-server',
        type: 'msg:R',
      }),
      record(5, 'drop', { type: null, actor: undefined }),
      { ...record(6, 'stall'), cause: 2 },
      {
        kind: 'fault',
        t: 9,
        id: 7,
        rule: 'slow-net',
        action: 'latency',
        layer: 'stream',
        params: { ms: 20, jitterMs: 5 },
        conn: 3,
        direction: 'to-client',
      },
    ]);
    expect(rules.map((r) => [r.id, r.layer, r.match, r.nth, r.action])).toEqual([
      [
        'slow.3',
        'frame',
        { op: ['msg'], kind: ['A'], direction: 'to-client', user: ['alice/phone'] },
        4,
        { type: 'delay', ms: 137, jitterMs: 0 },
      ],
      [
        'spoil.4',
        'frame',
        { op: ['msg'], kind: ['R'], direction: 'to-server', user: ['alice/phone'] },
        4,
        { type: 'corrupt', mode: 'schema', field: 'smid' },
      ],
      ['r.5', 'frame', { undecodable: true, direction: 'to-client' }, 5, { type: 'drop' }],
      ['slow-net.7', 'stream', { direction: 'to-client' }, 3, { type: 'latency', ms: 20, jitterMs: 5 }],
    ]);
  });

  it('renders ready-to-run faults YAML that resolves back to the same rules', () => {
    const events = [
      record(1, 'drop', { rule: 'lose-msg-a' }),
      record(2, 'duplicate', { params: { copies: 3 } }),
      record(3, 'reorder', { params: { after: 2, maxHoldMs: 1500 } }),
      record(4, 'cut', { params: { mode: 'reset', code: 1000, forward: false } }),
      record(5, 'stall', { params: { ms: 2000 } }),
      record(6, 'corrupt', { params: { mode: 'json' } }),
    ];
    const text = toYaml(events, { comment: 'case core/lost-msg-a, seed 42\nminimal failing set (2 runs)' });
    expect(
      text.startsWith('# case core/lost-msg-a, seed 42\n# minimal failing set (2 runs)\nfaults:\n'),
    ).toBe(true);
    expect(text).toContain('- id: lose-msg-a.1');
    const parsed = parse(text) as { faults: unknown[] };
    expect(resolveFaultRules(parsed.faults)).toEqual(replayRules(events));
  });

  it('renders every action in YAML that resolves to the same rule (round trip)', () => {
    const raw = [
      {
        id: 'a',
        match: { op: ['msg', 'ack'], kind: 'R', user: 'bob' },
        every: 2,
        times: 3,
        probability: 0.5,
        from: 1,
        until: '2s',
        action: 'drop',
      },
      { id: 'b', nth: 2, action: { type: 'duplicate', copies: 2 } },
      { id: 'c', action: { type: 'delay', by: '1500ms', jitter: '1s' } },
      { id: 'd', action: 'reorder' },
      { id: 'e', action: { type: 'corrupt', mode: 'schema' } },
      { id: 'f', action: { type: 'cut', code: 4001 } },
      { id: 'g', action: 'stall' },
      { id: 'h', action: { type: 'latency', by: 7 } },
      { id: 'i', action: { type: 'bandwidth', bytesPerSecond: 900 } },
      { id: 'j', action: { type: 'reset', afterBytes: 10 } },
      { id: 'k', action: { type: 'blackhole', for: '1m' } },
      { id: 'l', action: { type: 'slice', bytes: 2, gap: 3 } },
    ];
    const rules = resolveFaultRules(raw);
    expect(resolveFaultRules(rules.map(ruleToYaml))).toEqual(rules);
    expect(resolveFaultRules((parse(rulesToYaml(rules)) as { faults: unknown[] }).faults)).toEqual(rules);
  });
});
