/**
 * The open-model schedule is a pure function of the profile: arrival times, counts, slices.
 */

import { describe, expect, it } from 'vitest';
import {
  buildGroups,
  connectionCount,
  dealGroups,
  offlineAt,
  offlinePlan,
  recipientOf,
} from '../../src/load/population.js';
import type { Population } from '../../src/load/profile/types.js';
import { ArrivalSchedule, Dispatcher, nestSlice, WHOLE } from '../../src/load/schedule.js';

const constant = (rate: number, durationMs: number) =>
  new ArrivalSchedule({ type: 'constant-arrival-rate', rate, durationMs });

describe('arrival schedule', () => {
  it('spaces a constant rate evenly from 0: r msgs/s for d seconds is r·d arrivals', () => {
    const s = constant(200, 20_000);
    expect(s.total).toBe(4000);
    expect(s.timeOf(0)).toBe(0);
    expect(s.timeOf(1)).toBeCloseTo(5, 9);
    expect(s.timeOf(3999)).toBeCloseTo(19_995, 6);
    expect(s.countBefore(1000)).toBe(200);
    expect(s.countBefore(1000.001)).toBe(201);
    expect(s.rateAt(7_000)).toBe(200);
    expect(s.rateAt(20_000)).toBe(0);
  });

  it('ramps linearly between stages, and counts agree with arrival times', () => {
    const s = new ArrivalSchedule({
      type: 'ramping-arrival-rate',
      startRate: 0,
      stages: [
        { target: 100, durationMs: 10_000 },
        { target: 100, durationMs: 5_000 },
        { target: 0, durationMs: 5_000 },
        { target: 0, durationMs: 2_000 },
        { target: 50, durationMs: 2_000 },
      ],
    });
    // 0→100 over 10 s: 500; flat 5 s: 500; 100→0 over 5 s: 250; pause; 0→50 over 2 s: 50.
    expect(s.total).toBe(1300);
    expect(s.durationMs).toBe(24_000);
    expect(s.rateAt(5_000)).toBeCloseTo(50, 9);
    expect(s.rateAt(21_000)).toBe(0);
    let previous = -1;
    for (let i = 0; i < s.total; i++) {
      const t = s.timeOf(i);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
      // Arrival i is the (i+1)-th due: exactly i arrivals come before it.
      expect(s.countBefore(t)).toBeLessThanOrEqual(i);
      expect(s.countBefore(t + 1e-6)).toBeGreaterThanOrEqual(i + 1);
    }
    // Nothing falls in the 2 s pause at rate 0.
    expect(s.countBefore(22_000) - s.countBefore(20_000)).toBe(0);
    expect(s.timeOf(1250)).toBeGreaterThanOrEqual(22_000);
  });

  it('splits arrivals into slices whose union is the whole schedule, each sent at its own time', () => {
    const s = constant(997, 3_000);
    const seen: number[] = [];
    const slices = [0, 1, 2].map((k) => new Dispatcher(s, { index: k, count: 3 }));
    expect(slices.reduce((n, d) => n + d.total, 0)).toBe(s.total);
    for (const [k, d] of slices.entries()) {
      let local = 0;
      d.due(Number.POSITIVE_INFINITY, (global, l, at) => {
        expect(global % 3).toBe(k);
        expect(l).toBe(local++);
        expect(at).toBe(s.timeOf(global));
        seen.push(global);
      });
      expect(d.done).toBe(true);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: s.total }, (_, i) => i));
    expect(nestSlice({ index: 1, count: 2 }, { index: 2, count: 3 })).toEqual({ index: 5, count: 6 });
  });

  it('hands out late arrivals with their scheduled times, never skipping them', () => {
    const d = new Dispatcher(constant(100, 1_000), WHOLE);
    const times: number[] = [];
    expect(d.due(55, (_g, _l, at) => times.push(at))).toBe(6);
    expect(times).toEqual([0, 10, 20, 30, 40, 50]);
    expect(d.nextTime()).toBeCloseTo(60, 9);
    d.stop();
    expect(d.done).toBe(true);
  });
});

describe('population', () => {
  const p = (over: Partial<Population>): Population => ({
    senders: 4,
    pairing: 'pairs',
    fanout: 3,
    groupSize: 4,
    devices: 2,
    connectRate: 100,
    offline: undefined,
    ...over,
  });

  it('builds pairs, fan-out and random groups with every device counted', () => {
    const pairs = buildGroups(p({}), 't');
    expect(pairs).toHaveLength(4);
    expect(pairs[1]!.users).toEqual(['t-s1', 't-r1']);
    expect(pairs[1]!.devices.map((d) => `${d.user}/${d.device}`)).toEqual(['t-s1/d1', 't-r1/d1', 't-r1/d2']);
    expect(pairs.flatMap((g) => g.devices)).toHaveLength(connectionCount(p({})));
    const fan = buildGroups(p({ pairing: 'fanout', devices: 1 }), 't');
    expect(fan[0]!.receivers).toEqual(['t-r0.0', 't-r0.1', 't-r0.2']);
    expect(fan.flatMap((g) => g.devices)).toHaveLength(connectionCount(p({ pairing: 'fanout', devices: 1 })));
    expect([0, 1, 2, 3].map((i) => recipientOf(fan[0]!, 't-s0', i, i, 1))).toEqual([
      't-r0.0',
      't-r0.1',
      't-r0.2',
      't-r0.0',
    ]);
    const random = buildGroups(p({ pairing: 'random', senders: 8, devices: 1 }), 't');
    expect(random).toHaveLength(2);
    for (let i = 0; i < 50; i++) {
      const to = recipientOf(random[1]!, 't-m1.2', i, i, 7);
      expect(random[1]!.users).toContain(to);
      expect(to).not.toBe('t-m1.2');
    }
  });

  it('deals whole groups to workers', () => {
    const dealt = dealGroups(buildGroups(p({ senders: 5 }), 't'), 2);
    expect(dealt.map((w) => w.map((g) => g.index))).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
  });

  it('takes a seeded share of devices offline, each for `for` once every `every` from its phase', () => {
    const schedule = { share: 0.25, everyMs: 10_000, forMs: 3_000 };
    const plans = Array.from({ length: 4000 }, (_, n) => offlinePlan(schedule, n, 42));
    const share = plans.filter((x) => x.offline).length / plans.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
    expect(plans).toEqual(Array.from({ length: 4000 }, (_, n) => offlinePlan(schedule, n, 42)));
    expect(offlineAt(schedule, 2_000, 1_000)).toEqual({ offline: false, untilMs: 2_000 });
    expect(offlineAt(schedule, 2_000, 2_000)).toEqual({ offline: true, untilMs: 5_000 });
    expect(offlineAt(schedule, 2_000, 5_000)).toEqual({ offline: false, untilMs: 12_000 });
    expect(offlineAt(schedule, 2_000, 13_000)).toEqual({ offline: true, untilMs: 15_000 });
  });
});
