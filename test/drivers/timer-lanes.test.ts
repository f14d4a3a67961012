import { describe, expect, it } from 'vitest';
import { TimerLanes } from '../../src/drivers/timer-lanes.js';

describe('TimerLanes', () => {
  it('expires items in deadline order across lanes, each once, with its stamp', async () => {
    const seen: string[] = [];
    let finish: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const lanes = new TimerLanes<string>((item, stamp) => {
      seen.push(`${item}:${stamp}`);
      if (seen.length === 4) finish();
    });
    lanes.add(30, 'slow', 1);
    lanes.add(5, 'fast-a', 2);
    lanes.add(5, 'fast-b', 3);
    lanes.add(15, 'mid', 4);
    await all;
    expect(seen).toEqual(['fast-a:2', 'fast-b:3', 'mid:4', 'slow:1']);
  });

  it('drops every pending expiry on clear', async () => {
    const seen: string[] = [];
    const lanes = new TimerLanes<string>((item) => seen.push(item));
    lanes.add(5, 'cleared');
    lanes.clear();
    // Proof by a later expiry on a fresh lane: it fires, the cleared one never does.
    await new Promise<void>((resolve) => {
      const probe = new TimerLanes<string>(() => resolve());
      probe.add(20, 'probe');
    });
    expect(seen).toEqual([]);
  });
});
