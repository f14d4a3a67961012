/**
 * The streaming ledger reads what it is pushed at the end of the event-loop turn, in runs (why:
 * streaming.ts, push), yet every method that reports drains first: what a reader sees is what
 * reading each event at once gives.
 */

import { describe, expect, it } from 'vitest';
import type { LedgerLatency } from '../../src/checker/ledger-contract.js';
import { StreamingLedger } from '../../src/checker/streaming.js';
import { ctx, H } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

function exchange(): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  for (let i = 0; i < 3; i++) h.deliver(A, [B]);
  return h;
}

function ledgerFor(h: H, timed: LedgerLatency[]): StreamingLedger {
  const c = ctx(h);
  return new StreamingLedger({
    expect: c.expect,
    covers: [],
    users: c.users,
    caps: c.caps,
    latency: { record: (figure) => timed.push(figure) },
  });
}

describe('the streaming ledger fed within one turn', () => {
  it('reads the events at the end of the turn, in one run', async () => {
    const h = exchange();
    const timed: LedgerLatency[] = [];
    const ledger = ledgerFor(h, timed);
    for (const e of h.events) ledger.push(e);
    // Nothing read yet: the latencies are told as the engine reads the events.
    expect(timed).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timed.filter((f) => f === 'delivery')).toHaveLength(3);
  });

  it('counts, retires and finishes with every event pushed, read or not', () => {
    const h = exchange();
    const timed: LedgerLatency[] = [];
    const ledger = ledgerFor(h, timed);
    for (const e of h.events) ledger.push(e);
    const c = ledger.counters();
    expect([c.sent, c.accepted, c.delivered]).toEqual([3, 3, 3]);
    expect(timed.filter((f) => f === 'delivery')).toHaveLength(3);
    const late = ledgerFor(h, []);
    for (const e of h.events) late.push(e);
    late.retire(h.t + 60_000);
    expect(late.counters().inFlight).toBe(0);
    const r = ledgerFor(h, []);
    for (const e of h.events) r.push(e);
    const result = r.finish(h.t);
    expect(result.findings).toEqual([]);
    expect([result.stats.sent, result.stats.delivered]).toEqual([3, 3]);
  });
});
