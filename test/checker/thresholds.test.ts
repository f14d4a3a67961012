/**
 * Case-level thresholds (latency p99, retransmit ratio), assertion events, and how findings are
 * shaped: level from the requirement, cap filtering, evidence order, truncation per rule, the end
 * of the case.
 */

import { describe, expect, it } from 'vitest';
import { check, percentile } from '../../src/checker/index.js';
import { ctx, GRACE, H, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** n delivered messages; msg:A comes `ackMs` after each msg:R. */
function delivered(n: number, ackMs: number): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  for (let k = 0; k < n; k++) {
    const m = h.send(A, 'bob');
    h.tick(ackMs);
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
  }
  h.teardown();
  return h;
}

describe('latency thresholds', () => {
  it('p99 msg:R→msg:A over ackLatencyP99Ms → latency finding with the threshold id, at the case severity', () => {
    const h = delivered(20, 30);
    const r = check(h.events, ctx(h, { expect: { ackLatencyP99Ms: 10 } }));
    expect(summary(r)).toEqual(['latency threshold:ackLatencyP99']);
    expect(r.findings[0]!.level).toBe('MUST');
    const should = check(h.events, ctx(h, { severity: 'SHOULD', expect: { ackLatencyP99Ms: 10 } }));
    expect(should.findings[0]!.level).toBe('SHOULD');
    expect(r.findings[0]!.actual).toMatch(/p99 30\.\d ms over 20 messages/);
    expect(r.findings[0]!.evidence).toHaveLength(2);
    expect(summary(check(h.events, ctx(h, { expect: { ackLatencyP99Ms: 50 } })))).toEqual([]);
  });

  it('p99 send→commit over deliveryLatencyP99Ms → latency finding', () => {
    const h = delivered(5, 30);
    expect(summary(check(h.events, ctx(h, { expect: { deliveryLatencyP99Ms: 5 } })))).toEqual([
      'latency threshold:deliveryLatencyP99',
    ]);
    expect(summary(check(h.events, ctx(h, { expect: { deliveryLatencyP99Ms: 100 } })))).toEqual([]);
  });

  /**
   * Four messages, the first retransmitted after its msg:A came (the client waits for the
   * receipt). `slow`: its delivered receipt was on its way and comes before the duplicate's msg:A;
   * otherwise the server sends none.
   */
  function retransmitted(slow: boolean): H {
    const h = new H();
    h.connect(A);
    h.connect(B);
    for (let k = 0; k < 4; k++) {
      const m = h.send(A, 'bob');
      h.accept(m);
      if (k === 0) h.retransmit(m);
      if (k === 0 && !slow) h.accept(m, { dup: true });
      h.push(B, m);
      h.commit(B, m);
      h.ack(B, m.seq!);
      if (k > 0 || slow) h.receipt(A, m, 'delivered');
      if (k === 0 && slow) h.accept(m, { dup: true });
    }
    h.teardown();
    return h;
  }

  it('retransmissions that no later answer explains, over maxRetransmitRatio → retransmit-bound', () => {
    const h = retransmitted(false);
    const over = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.1 } }));
    // How often the kit's retransmit timer fired is no server's requirement (not DEDUP-1).
    expect(summary(over).filter((f) => f.includes('retransmit'))).toEqual([
      'retransmit-bound threshold:maxRetransmitRatio',
    ]);
    expect(over.findings.find((f) => f.kind === 'retransmit-bound')!.actual).toContain(
      '1 retransmissions for 4 messages',
    );
    expect(over.unmet).toEqual([]);
    const within = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.25 } }));
    expect(summary(within).filter((f) => f.includes('retransmit'))).toEqual([]);
  });

  it('retransmissions whose answer came later (a slow exchange) make the ratio INCONCLUSIVE, not FAIL', () => {
    const h = retransmitted(true);
    const over = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.1 } }));
    expect(summary(over)).toEqual([]);
    expect(over.unmet).toHaveLength(1);
    expect(over.unmet[0]!.precondition).toContain('threshold:maxRetransmitRatio');
    expect(over.unmet[0]!.actual).toContain('1 of them were sent while the answer was on its way');
    expect(check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.25 } })).unmet).toEqual([]);
  });

  /**
   * Four messages, the first retransmitted while its first msg:A was still on its way: `late`, that
   * msg:A arrives after the retransmission went out and before the duplicate's dup:true msg:A, and
   * the delivered receipt comes after both (as it does when the receiver acks later). Otherwise the
   * first msg:R is never answered (it was lost) and only the retransmission is.
   */
  function firstAnswerLate(late: boolean): H {
    const h = new H();
    h.connect(A);
    h.connect(B);
    for (let k = 0; k < 4; k++) {
      const m = h.send(A, 'bob');
      const first = m.rid;
      if (k === 0) {
        h.tick(1000);
        h.retransmit(m);
        h.tick(50);
        if (late) h.accept(m, { rid: first });
        h.tick(5);
        h.accept(m, { dup: late });
      } else h.accept(m);
      h.push(B, m);
      h.commit(B, m);
      h.ack(B, m.seq!);
      h.receipt(A, m, 'delivered');
    }
    h.teardown();
    return h;
  }

  it("a retransmission sent while the first attempt's msg:A was on its way is explained: INCONCLUSIVE, not FAIL", () => {
    const h = firstAnswerLate(true);
    const over = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.1 } }));
    expect(summary(over)).toEqual([]);
    expect(over.unmet).toHaveLength(1);
    expect(over.unmet[0]!.actual).toContain('1 of them were sent while the answer was on its way');
    expect(over.unmet[0]!.actual).toMatch(/came a median 50 ms later/);
  });

  it('a retransmission whose earlier attempt was never answered stays unexplained → retransmit-bound', () => {
    const h = firstAnswerLate(false);
    const over = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.1 } }));
    expect(summary(over).filter((f) => f.includes('retransmit'))).toEqual([
      'retransmit-bound threshold:maxRetransmitRatio',
    ]);
    expect(over.unmet).toEqual([]);
  });

  it("an earlier attempt's msg:A that comes after the retransmission was answered explains nothing", () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    for (let k = 0; k < 4; k++) {
      const m = h.send(A, 'bob');
      const first = m.rid;
      if (k === 0) {
        h.retransmit(m);
        h.accept(m);
        h.accept(m, { rid: first, dup: true });
      } else h.accept(m);
      h.push(B, m);
      h.commit(B, m);
      h.ack(B, m.seq!);
      h.receipt(A, m, 'delivered');
    }
    h.teardown();
    const over = check(h.events, ctx(h, { expect: { maxRetransmitRatio: 0.1 } }));
    expect(summary(over).filter((f) => f.includes('retransmit'))).toEqual([
      'retransmit-bound threshold:maxRetransmitRatio',
    ]);
  });

  it('latencies are reported ascending; percentile is nearest-rank', () => {
    const h = delivered(3, 5);
    const { ackLatencyMs, deliveryLatencyMs, receiptLatencyMs } = check(h.events, ctx(h)).stats;
    for (const list of [ackLatencyMs, deliveryLatencyMs, receiptLatencyMs]) {
      expect(list).toHaveLength(3);
      expect([...list].sort((a, b) => a - b)).toEqual(list);
    }
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([], 99)).toBeNaN();
  });
});

describe('assertions and finding shape', () => {
  it('a failed assert event becomes an assertion finding with its requirement and level', () => {
    const h = new H();
    h.add({
      kind: 'assert',
      t: 1,
      requirement: 'AUTH-4',
      ok: false,
      expected: 'close 4408',
      actual: 'open',
      actor: A,
    });
    h.add({
      kind: 'assert',
      t: 2,
      requirement: 'AUTH-2',
      ok: true,
      expected: 'close 4401',
      actual: 'close 4401',
    });
    const r = check(h.events, ctx(h));
    expect(r.findings).toEqual([
      {
        kind: 'assertion',
        requirement: 'AUTH-4',
        level: 'SHOULD',
        expected: 'close 4408',
        actual: `${A}: open`,
        evidence: [0],
      },
    ]);
  });

  it('a requirement id outside docs/protocol.md is treated as MUST', () => {
    const h = new H();
    h.add({ kind: 'assert', t: 1, requirement: 'CASE-9', ok: false, expected: 'x', actual: 'y' });
    expect(check(h.events, ctx(h)).findings[0]!.level).toBe('MUST');
  });

  it('findings against a cap the server does not claim are dropped', () => {
    const h = new H();
    h.add({ kind: 'assert', t: 1, requirement: 'MDEV-1', ok: false, expected: 'x', actual: 'y' });
    expect(summary(check(h.events, ctx(h)))).toEqual(['assertion MDEV-1']);
    expect(summary(check(h.events, ctx(h, { caps: [] })))).toEqual([]);
  });

  it('keeps maxFindingsPerRule per (kind, requirement) and says how many more there were', () => {
    const h = new H();
    for (let k = 0; k < 7; k++)
      h.add({ kind: 'assert', t: k, requirement: 'PING-1', ok: false, expected: 'x', actual: `y${k}` });
    const r = check(h.events, ctx(h, { maxFindingsPerRule: 3 }));
    expect(r.findings).toHaveLength(3);
    expect(r.findings[2]!.actual).toContain('and 4 more assertion findings against PING-1');
  });

  it('keeps a finding about a pinned event past the bound (the frame that stopped the case)', () => {
    const h = new H();
    for (let k = 0; k < 7; k++)
      h.add({ kind: 'assert', t: k, requirement: 'PING-1', ok: false, expected: 'x', actual: `y${k}` });
    const r = check(h.events, ctx(h, { maxFindingsPerRule: 3, pinned: [5] }));
    expect(r.findings.map((f) => f.actual)).toEqual([
      'y0',
      'y1',
      'y2 (and 3 more assertion findings against PING-1 not listed)',
      'y5',
    ]);
  });

  it('findings come in order of their first evidence, evidence sorted and unique', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.add({ kind: 'assert', t: h.t, requirement: 'PING-1', ok: false, expected: 'x', actual: 'y' });
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['lost PUSH-1', 'assertion PING-1']);
    for (const f of r.findings) expect([...new Set(f.evidence)].sort((a, b) => a - b)).toEqual(f.evidence);
  });
});

describe('the end of the case', () => {
  it('endT from the context: closes after it are teardown, closes before it are real', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.accept(h.send(A, 'bob'));
    h.tick(GRACE + 100);
    const endT = h.t;
    h.close(B, 'client');
    h.mark();
    h.close(A, 'client');
    // No trailing-close heuristic can see bob's close as teardown (an event follows it)…
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
    // …but the runner's endT says the case had ended: bob was connected, and the message is lost.
    expect(summary(check(h.events, ctx(h, { endT })))).toEqual(['lost PUSH-1']);
  });

  it('an empty history gives empty results', () => {
    const r = check([], ctx(new H()));
    expect(r.findings).toEqual([]);
    expect(r.stats).toMatchObject({ sent: 0, accepted: 0, requests: 0, ackLatencyMs: [] });
  });
});
