/**
 * TurnBatch hands held events over in order, once each, whatever the consumer does meanwhile:
 * appends (they wait for the next run), drains again, or throws. Its buffers are reused from
 * run to run, so these are the cases where a reused buffer could hand an event over twice.
 */

import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { TurnBatch } from '../../src/history/turn-batch.js';

const ev = (i: number): HistoryEvent => ({ kind: 'step', t: i, index: i, label: `s${i}` });
const ids = (events: HistoryEvent[]) => events.map((e) => e.t);

describe('TurnBatch', () => {
  it('hands events over in order, once each, at drain or at the end of the turn', async () => {
    const taken: HistoryEvent[] = [];
    const batch = new TurnBatch((e) => taken.push(e));
    for (let i = 0; i < 5; i++) batch.add(ev(i));
    expect(taken).toEqual([]);
    batch.drain();
    expect(ids(taken)).toEqual([0, 1, 2, 3, 4]);
    batch.add(ev(5));
    await new Promise((r) => setImmediate(r));
    expect(ids(taken)).toEqual([0, 1, 2, 3, 4, 5]);
    batch.drain();
    expect(taken).toHaveLength(6);
  });

  it('drains by itself once 1024 wait, and reuses its buffers without repeating an event', () => {
    const taken: number[] = [];
    const batch = new TurnBatch((e) => taken.push(e.t));
    for (let i = 0; i < 5000; i++) batch.add(ev(i));
    expect(taken).toHaveLength(4 * 1024);
    batch.drain();
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('events appended during a run wait for the next; a drain inside a run takes them', () => {
    const taken: number[] = [];
    let batch: TurnBatch;
    batch = new TurnBatch((e) => {
      taken.push(e.t);
      if (e.t === 1) batch.add(ev(10));
      if (e.t === 2) {
        batch.add(ev(11));
        batch.drain();
      }
    });
    for (let i = 0; i < 4; i++) batch.add(ev(i));
    batch.drain();
    expect(taken).toEqual([0, 1, 2, 10, 11, 3]);
    batch.drain();
    expect(taken).toEqual([0, 1, 2, 10, 11, 3]);
  });

  it("a consumer's error drops the rest of that run, never hands an event over twice", () => {
    const taken: number[] = [];
    const batch = new TurnBatch((e) => {
      if (e.t === 1) throw new Error('consumer bug');
      taken.push(e.t);
    });
    for (let i = 0; i < 3; i++) batch.add(ev(i));
    expect(() => batch.drain()).toThrow('consumer bug');
    batch.add(ev(3));
    batch.drain();
    expect(taken).toEqual([0, 3]);
  });
});
