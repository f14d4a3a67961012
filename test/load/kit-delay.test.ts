/**
 * The kit's own event-loop delay: measured with Node's histogram, the worst worker kept, and a
 * loop the kit blocks on purpose shows up (the figure can say "saturated").
 */

import { describe, expect, it } from 'vitest';
import { kitSaturated, measureKitDelay, worstKitDelay } from '../../src/load/kit-delay.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the kit event-loop delay', () => {
  it('sees a loop blocked for 300 ms and calls it saturated', async () => {
    const m = measureKitDelay();
    await sleep(50);
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // blocks the loop on purpose, as a worker with too many bots would
    }
    await sleep(50);
    const d = m.stop();
    expect(d.maxMs).toBeGreaterThanOrEqual(250);
    expect(kitSaturated(d)).toBe(true);
  });

  it('keeps the worst of several workers, and none when none measured', () => {
    expect(worstKitDelay([{ p99Ms: 5, maxMs: 80 }, undefined, { p99Ms: 20, maxMs: 30 }])).toEqual({
      p99Ms: 20,
      maxMs: 80,
    });
    expect(worstKitDelay([undefined])).toBeUndefined();
    expect(kitSaturated({ p99Ms: 20, maxMs: 900 })).toBe(false);
    expect(kitSaturated(undefined)).toBe(false);
  });
});
