import { describe, expect, it } from 'vitest';
import { EventLog, GONE } from '../../src/checker/log.js';
import type { HistoryEvent } from '../../src/history/events.js';

const step = (index: number): HistoryEvent => ({ kind: 'step', t: index, index, label: `s${index}` });

// The streaming ledger forgets events below a floor: they must read as GONE and be let go, also
// those that share a chunk (4096 events) with events still live.
describe('EventLog.dropBelow', () => {
  it('lets go of every forgotten event, whole chunks and the front of the floor chunk', () => {
    const log = new EventLog();
    for (let i = 0; i < 10_000; i++) log.append(step(i));
    log.dropBelow(100);
    expect(log.held).toBe(9_900);
    log.dropBelow(5_000);
    expect(log.held).toBe(5_000);
    expect(log.at(4_999)).toBe(GONE);
    expect(log.at(5_000).t).toBe(5_000);
    log.dropBelow(4_000); // a lower floor changes nothing
    expect(log.held).toBe(5_000);
    log.dropBelow(10_000);
    expect(log.held).toBe(0);
    log.append(step(10_000));
    expect(log.at(10_000).t).toBe(10_000);
    expect(log.held).toBe(1);
  });
});
