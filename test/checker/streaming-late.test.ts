/**
 * The streaming ledger forgets a message once it settled; traffic about it can still come — a
 * sender whose retransmit timer fired late (a loaded client), the server's answer to it, a
 * re-push of the same smid. That is a late echo of a judged message, not a new message sent
 * after the later ones (ORDER-1) nor a second message under the same seq (SEQ-2): both were
 * reported against a correct reference server in an overloaded sharded load run.
 */

import { describe, expect, it } from 'vitest';
import { StreamingLedger } from '../../src/checker/streaming.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { ctx, H } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

function ledgerFor(h: H): StreamingLedger {
  const c = ctx(h);
  return new StreamingLedger({ expect: c.expect, covers: [], users: c.users, caps: c.caps });
}

function feed(ledger: StreamingLedger, events: readonly HistoryEvent[], from: number): number {
  for (let i = from; i < events.length; i++) ledger.push(events[i]!);
  return events.length;
}

function requirements(ledger: StreamingLedger, endT: number): string[] {
  return ledger.finish(endT).findings.map((f) => `${f.kind} ${f.requirement}`);
}

describe('the streaming ledger after it retired a message', () => {
  it('takes a late retransmission and its dup answer as an echo, not a new message', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const first = h.deliver(A, [B]);
    h.wait(10_000);
    const ledger = ledgerFor(h);
    let fed = feed(ledger, h.events, 0);
    ledger.retire(h.t);
    // A later message, then the first one's retransmission: no new message, no ORDER-1.
    h.deliver(A, [B]);
    h.tick(5);
    h.retransmit(first);
    h.tick(5);
    h.accept(first, { dup: true });
    h.wait(5000);
    h.teardown();
    fed = feed(ledger, h.events, fed);
    expect(requirements(ledger, h.t)).toEqual([]);
  });

  it('still finds a second message under a seq whose first owner it retired (SEQ-2 can fail)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.deliver(A, [B]);
    h.wait(10_000);
    const ledger = ledgerFor(h);
    let fed = feed(ledger, h.events, 0);
    ledger.retire(h.t);
    const second = h.deliver(A, [B]);
    const reused = h.send(A, 'bob');
    h.tick(5);
    h.accept(reused, { smid: 'reused', seq: second.seq! });
    h.tick(5);
    h.push(B, reused);
    h.wait(5000);
    h.teardown();
    fed = feed(ledger, h.events, fed);
    expect(requirements(ledger, h.t)).toContain('seq-reuse SEQ-2');
  });
});
