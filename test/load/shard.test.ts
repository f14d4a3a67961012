/**
 * Slicing a run into shards, pure: the shards' users partition the profile's users (ids never
 * collide), their arrivals partition the schedule (offered rates add up exactly), counted faults
 * are shared out exactly, and `--shard` reads the index as a Kubernetes Indexed Job gives it.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { FaultRule } from '../../src/faults/types.js';
import { buildGroups } from '../../src/load/population.js';
import type { Population } from '../../src/load/profile/types.js';
import { ArrivalSchedule, Dispatcher, nestSlice, type Slice } from '../../src/load/schedule.js';
import { parseShard, shardGroups, shareFaults, shareOf } from '../../src/load/shard.js';

const population = (p: Partial<Population>): Population => ({
  senders: 10,
  pairing: 'pairs',
  fanout: 3,
  groupSize: 4,
  devices: 1,
  connectRate: 2000,
  offline: undefined,
  ...p,
});

const slices = (count: number): Slice[] => Array.from({ length: count }, (_, index) => ({ index, count }));

/** Every arrival index a slice is handed, walking the whole schedule. */
function arrivals(schedule: ArrivalSchedule, slice: Slice): number[] {
  const d = new Dispatcher(schedule, slice);
  const out: number[] = [];
  d.due(Number.POSITIVE_INFINITY, (global) => out.push(global));
  expect(out.length).toBe(d.total);
  return out;
}

const arbPopulation = fc.record({
  senders: fc.integer({ min: 1, max: 60 }),
  pairing: fc.constantFrom('pairs' as const, 'fanout' as const, 'random' as const),
  fanout: fc.integer({ min: 1, max: 4 }),
  groupSize: fc.integer({ min: 2, max: 5 }),
  devices: fc.integer({ min: 1, max: 3 }),
});

const arbExecutor = fc.oneof(
  fc.record({
    type: fc.constant('constant-arrival-rate' as const),
    rate: fc.integer({ min: 1, max: 500 }),
    durationMs: fc.integer({ min: 100, max: 5000 }),
  }),
  fc.record({
    type: fc.constant('ramping-arrival-rate' as const),
    startRate: fc.integer({ min: 0, max: 200 }),
    stages: fc.array(
      fc.record({
        target: fc.integer({ min: 0, max: 300 }),
        durationMs: fc.integer({ min: 100, max: 3000 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

describe('shard slices', () => {
  it('partition the users: every user in exactly one shard, whole groups, no id shared', () => {
    fc.assert(
      fc.property(arbPopulation, fc.integer({ min: 1, max: 12 }), (p, n) => {
        const groups = buildGroups(population(p), 'T');
        const owner = new Map<string, number>();
        for (const s of slices(n)) {
          for (const g of shardGroups(groups, s)) {
            for (const u of g.users) {
              expect(owner.has(u), `${u} in two shards`).toBe(false);
              owner.set(u, s.index);
            }
          }
        }
        expect(owner.size).toBe(new Set(groups.flatMap((g) => g.users)).size);
      }),
    );
  });

  it('partition the arrivals: the shards offer exactly the whole schedule, each at its share', () => {
    fc.assert(
      fc.property(arbExecutor, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), (e, n, w) => {
        const schedule = new ArrivalSchedule(e);
        const seen = new Set<number>();
        let offered = 0;
        for (const shard of slices(n)) {
          let shardOffered = 0;
          // A shard's worker processes nest inside it; together they are the shard's slice.
          for (const worker of slices(w)) {
            const mine = arrivals(schedule, nestSlice(shard, worker));
            for (const i of mine) {
              expect(seen.has(i), `arrival ${i} offered twice`).toBe(false);
              seen.add(i);
            }
            shardOffered += mine.length;
          }
          // Each shard's offered count is its exact share: ⌊total/N⌋ or one more.
          expect(shardOffered).toBe(shareOf(schedule.total, shard));
          offered += shardOffered;
        }
        expect(offered).toBe(schedule.total);
        expect(seen.size).toBe(schedule.total);
      }),
    );
  });

  it('share counted faults out exactly and keep rates as they are', () => {
    const rule = (over: Partial<FaultRule>): FaultRule =>
      ({
        id: 'r',
        layer: 'frame',
        match: {},
        action: { type: 'drop' },
        nth: undefined,
        every: undefined,
        times: undefined,
        probability: 1,
        window: {},
        loc: undefined,
        ...over,
      }) as FaultRule;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ times: fc.integer({ min: 0, max: 50 }) }),
            fc.record({ nth: fc.integer({ min: 1, max: 9 }) }),
            fc.record({ probability: fc.double({ min: 0, max: 1, noNaN: true }) }),
          ),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 10 }),
        (overs, n) => {
          const rules = overs.map((o, i) => rule({ ...o, id: `r${i}` }));
          const shared = slices(n).map((s) => shareFaults(rules, s));
          for (const r of rules) {
            const copies = shared.flatMap((list) => list.filter((x) => x.id === r.id));
            if (r.nth !== undefined) expect(copies).toEqual([r]);
            else if (r.times !== undefined)
              expect(copies.reduce((t, c) => t + (c.times ?? 0), 0)).toBe(r.times);
            else expect(copies).toEqual(Array.from({ length: n }, () => r));
          }
        },
      ),
    );
  });

  it('reads i/N, or the index from JOB_COMPLETION_INDEX with auto/N', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(parseShard('/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 4 });
    expect(parseShard('$JOB_COMPLETION_INDEX/4', { JOB_COMPLETION_INDEX: '1' })).toEqual({
      index: 1,
      count: 4,
    });
  });

  it('refuses a shard that cannot be, saying why', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['4/4', {}, /index 4 is not below N=4 \(indexes run 0–3\)/],
      ['auto/4', {}, /reads the index from JOB_COMPLETION_INDEX, which is not set/],
      ['auto/2', { JOB_COMPLETION_INDEX: '5' }, /index 5 \(JOB_COMPLETION_INDEX=5\) is not below N=2/],
      ['1/0', {}, /N must be 1–10000/],
      ['x/3', {}, /index must be a whole number from 0, got "x"/],
      ['1-4', {}, /takes i\/N/],
    ];
    for (const [spec, env, message] of cases) {
      expect(() => parseShard(spec, env)).toThrow(UsageError);
      expect(() => parseShard(spec, env)).toThrow(message);
    }
  });
});
