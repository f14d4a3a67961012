/**
 * A load worker's clock (LoadHistory): while the population connects it reads an hour below zero,
 * so no fault window or offline phase matches a login; the events of that phase reach the
 * listeners (the ledger, the metrics) at the start, at their times on the run's clock.
 */

import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { LoadHistory } from '../../src/load/worker/load-history.js';

const target = (t: number): HistoryEvent => ({ kind: 'target', t, action: 'start' });

describe('LoadHistory', () => {
  it('hands the connect phase on at the start, on the run clock: a login 50 ms before the epoch is at about −50 ms', async () => {
    const h = new LoadHistory();
    const seen: HistoryEvent[] = [];
    h.subscribe((e) => seen.push(e));
    expect(h.now()).toBeLessThan(-3_500_000);
    h.append(target(h.now()));
    // Not handed on with the stand-in hour: nothing is seen before the start.
    expect(seen).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    h.append(target(h.now()));
    h.startAt(Date.now() + 50);
    expect(seen).toHaveLength(2);
    const [first, second] = seen.map((e) => e.t) as [number, number];
    // 20 ms and 50 ms before the epoch, give or take the timers of a loaded machine.
    expect(first).toBeGreaterThan(-5000);
    expect(first).toBeLessThan(-50);
    expect(second).toBeGreaterThan(first + 15);
    expect(second).toBeLessThan(-45);
    // After the start, events go on at once, on the same clock.
    h.append(target(h.now()));
    expect(seen).toHaveLength(3);
    expect(seen[2]!.t).toBeGreaterThanOrEqual(second);
    expect(seen[2]!.t).toBeLessThan(0);
  });

  it('moves a time read before the start onto the run clock, and leaves later readings as they are', () => {
    const h = new LoadHistory();
    const before = h.now();
    // Before the start there is nothing to move it by.
    expect(h.onRunClock(before)).toBe(before);
    h.startAt(Date.now());
    const moved = h.onRunClock(before);
    expect(moved).toBeGreaterThan(-5000);
    expect(moved).toBeLessThanOrEqual(0);
    const after = h.now();
    expect(h.onRunClock(after)).toBe(after);
  });
});
