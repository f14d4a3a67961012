/**
 * The latency series in LedgerStats are gathered in one sweep over the messages and sorted with
 * the radix sort (stats.ts); they must equal what the old definition gave — one pick per series
 * reading each message's events back, sorted by Float64Array#sort (the oracle below): the same
 * values in the same order, bit for bit, the same slowest message as the thresholds' evidence,
 * the same messages left out. On random histories with retransmissions, lost and duplicate
 * answers, answers before any msg:R that named the message, duplicate commits and receipts of
 * both kinds — through check(), and through the streaming engine retiring as it goes (its
 * forgotten events read NaN).
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/check.js';
import type { Scan } from '../../src/checker/context.js';
import { Engine } from '../../src/checker/engine.js';
import { EventLog } from '../../src/checker/log.js';
import { retire } from '../../src/checker/retire.js';
import type { CheckResult, Finding } from '../../src/checker/types.js';
import type { ActorId } from '../../src/history/events.js';
import { ctx, H, type M } from './fixtures.js';

const A: ActorId = 'alice/phone';
const B: ActorId = 'bob/phone';
const B2: ActorId = 'bob/tab';
/** Every p99 exceeds it: both latency thresholds report their slowest message. */
const ALWAYS = { ackLatencyP99Ms: Number.NEGATIVE_INFINITY, deliveryLatencyP99Ms: Number.NEGATIVE_INFINITY };

type Op =
  | { op: 'send'; event: boolean; named: boolean }
  | { op: 'retransmit'; k: number }
  | { op: 'accept'; k: number; dup: boolean; newSmid: boolean }
  | { op: 'commit'; k: number; tab: boolean }
  | { op: 'receipt'; k: number; delivered: boolean }
  | { op: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('send'), event: fc.boolean(), named: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('retransmit'), k: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('accept'),
      k: fc.nat(),
      dup: fc.boolean(),
      newSmid: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('commit'), k: fc.nat(), tab: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('receipt'), k: fc.nat(), delivered: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('tick'),
      // Equal times, odd fractions, and long quiet spells (the streaming ledger retires after them).
      ms: fc.oneof(fc.constantFrom(0, 1000, 5000), fc.double({ min: 0, max: 3000, noNaN: true })),
    }),
  },
) as fc.Arbitrary<Op>;

/** The history a script plays. */
function play(ops: readonly Op[]): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  h.connect(B2);
  const msgs: M[] = [];
  let n = 0;
  const pick = (k: number) => msgs[k % msgs.length];
  for (const o of ops) {
    if (o.op === 'send') {
      if (o.named) msgs.push(h.send(A, 'bob', { event: o.event }));
      else {
        // A msg:R that does not name its cmid: its answer comes before any msg:R of the message.
        const cmid = `u${++n}`;
        const body = `body of ${cmid}`;
        h.add({ kind: 'send', t: h.t, actor: A, cmid, to: 'bob', body });
        const rid = h.request(A, 'msg:R', { to: 'bob', body });
        msgs.push({ cmid, from: 'alice', sender: A, to: 'bob', body, rid });
      }
    } else if (o.op === 'tick') h.tick(o.ms);
    else {
      const m = pick(o.k);
      if (m === undefined) continue;
      if (o.op === 'retransmit') h.retransmit(m);
      else if (o.op === 'accept') h.accept(m, { dup: o.dup, ...(o.newSmid ? { smid: `x${++n}` } : {}) });
      else if (m.smid === undefined) continue;
      else if (o.op === 'commit') {
        h.push(o.tab ? B2 : B, m);
        h.commit(o.tab ? B2 : B, m);
      } else h.receipt(A, m, o.delivered ? 'delivered' : 'stored');
    }
  }
  h.wait(100);
  return h;
}

interface Oracle {
  ack: number[];
  receipt: number[];
  delivery: number[];
  /** The thresholds' evidence for the slowest message of each, or undefined when none. */
  ackEvidence: number[] | undefined;
  deliveryEvidence: number[] | undefined;
}

/** The definition: each message's events read back from the log at the end (the old finishStats). */
function oracle(s: Scan): Oracle {
  const l = s.l;
  const t = l.msgs;
  const at = (idx: number) => l.log.t(idx);
  const series = (pick: (m: number) => number) => {
    const values: number[] = [];
    let worst = -1;
    let worstValue = Number.NEGATIVE_INFINITY;
    for (let m = t.base; m < t.size; m++) {
      const v = pick(m);
      if (Number.isNaN(v)) continue;
      values.push(v);
      if (v > worstValue) {
        worstValue = v;
        worst = m;
      }
    }
    return { values: Array.from(Float64Array.from(values).sort()), worst };
  };
  const ack = series((m) =>
    t.firstRIdx.get(m) >= 0 ? at(t.acceptIdx.get(m)) - at(t.firstRIdx.get(m)) : Number.NaN,
  );
  const receipt = series((m) => at(t.firstRcptIdx(m)) - at(t.originIdx.get(m)));
  const delivery = series((m) => at(t.commitIdx.get(m)) - at(t.originIdx.get(m)));
  return {
    ack: ack.values,
    receipt: receipt.values,
    delivery: delivery.values,
    ackEvidence:
      ack.values.length === 0
        ? undefined
        : ack.worst >= 0
          ? [t.firstRIdx.get(ack.worst), t.acceptIdx.get(ack.worst)]
          : [],
    deliveryEvidence:
      delivery.values.length === 0
        ? undefined
        : delivery.worst >= 0
          ? [t.originIdx.get(delivery.worst), t.commitIdx.get(delivery.worst)]
          : [],
  };
}

function evidenceOf(findings: readonly Finding[], requirement: string): number[] | undefined {
  return findings.find((f) => f.kind === 'latency' && f.requirement === requirement)?.evidence;
}

/** Evidence as the finding sink keeps it: known indexes, once each, ascending. */
function asSunk(evidence: number[] | undefined): number[] | undefined {
  return evidence && [...new Set(evidence.filter((i) => i >= 0))].sort((a, b) => a - b);
}

/** Bit for bit: -0 is not 0. */
function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, k) => Object.is(v, b[k]));
}

function expectAsDefined(r: CheckResult, o: Oracle): void {
  const got = r.stats;
  expect(same(got.ackLatencyMs, o.ack), `ack ${got.ackLatencyMs} vs ${o.ack}`).toBe(true);
  expect(same(got.receiptLatencyMs, o.receipt), `receipt ${got.receiptLatencyMs} vs ${o.receipt}`).toBe(true);
  expect(same(got.deliveryLatencyMs, o.delivery), `delivery ${got.deliveryLatencyMs} vs ${o.delivery}`).toBe(
    true,
  );
  expect(evidenceOf(r.findings, 'threshold:ackLatencyP99')).toEqual(asSunk(o.ackEvidence));
  expect(evidenceOf(r.findings, 'threshold:deliveryLatencyP99')).toEqual(asSunk(o.deliveryEvidence));
}

describe('latency series gathered at the end', () => {
  it('equal the end-time definition on the case checker (check())', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) => {
        const h = play(ops);
        const c = ctx(h, { expect: ALWAYS });
        const r = check(h.events, c);
        // The definition reads the same pass's indexes (an engine of its own on the same events).
        const engine = new Engine(c, new EventLog(h.events), { endT: h.t, teardownFrom: h.events.length });
        for (const e of h.events) engine.push(e);
        engine.finish();
        expectAsDefined(r, oracle(engine.s));
      }),
      { numRuns: 400 },
    );
  });

  it('equal it on the streaming engine, retiring as it goes (forgotten events read NaN)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) => {
        const h = play(ops);
        const c = ctx(h, { expect: ALWAYS });
        const engine = new Engine(c, new EventLog(), {
          endT: Number.POSITIVE_INFINITY,
          teardownFrom: Number.POSITIVE_INFINITY,
        });
        // Retiring after every event: whatever has been quiet (or old) enough goes at once.
        for (const e of h.events) {
          engine.push(e);
          retire(engine.s, e.t, { maxAgeMs: 3000 });
        }
        const r = engine.finish(h.t);
        expectAsDefined(r, oracle(engine.s));
      }),
      { numRuns: 400 },
    );
  });
});

describe('an engine that does not report latencies (the streaming ledger)', () => {
  const streaming = (h: H, expect: Record<string, number>, latencies: boolean) => {
    const engine = new Engine(
      ctx(h, { expect }),
      new EventLog(),
      { endT: Number.POSITIVE_INFINITY, teardownFrom: Number.POSITIVE_INFINITY },
      { latencies },
    );
    for (const e of h.events) engine.push(e);
    return { engine, r: engine.finish(h.t) };
  };

  it('builds no series without a latency threshold, and finds the same', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) => {
        const h = play(ops);
        const without = streaming(h, {}, false).r;
        const withSeries = streaming(h, {}, true).r;
        expect([
          without.stats.ackLatencyMs,
          without.stats.receiptLatencyMs,
          without.stats.deliveryLatencyMs,
        ]).toEqual([[], [], []]);
        expect(without.findings).toEqual(withSeries.findings);
        const { ackLatencyMs: _a, receiptLatencyMs: _r, deliveryLatencyMs: _d, ...counts } = withSeries.stats;
        expect(without.stats).toMatchObject(counts);
      }),
      { numRuns: 200 },
    );
  });

  it('still builds them for either latency threshold, which judges them as defined', () => {
    const ackOnly = { ackLatencyP99Ms: ALWAYS.ackLatencyP99Ms };
    const deliveryOnly = { deliveryLatencyP99Ms: ALWAYS.deliveryLatencyP99Ms };
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) => {
        const h = play(ops);
        for (const thresholds of [ALWAYS, ackOnly, deliveryOnly]) {
          const { engine, r } = streaming(h, thresholds, false);
          const o = oracle(engine.s);
          expect(r.stats.ackLatencyMs).toEqual(o.ack);
          expect(r.stats.deliveryLatencyMs).toEqual(o.delivery);
        }
        const { engine, r } = streaming(h, ALWAYS, false);
        expectAsDefined(r, oracle(engine.s));
      }),
      { numRuns: 200 },
    );
  });

  it('has messages with latencies in the histories above (the first property is not vacuous)', () => {
    const h = play([
      { op: 'send', event: true, named: true },
      { op: 'tick', ms: 5 },
      { op: 'accept', k: 0, dup: false, newSmid: false },
      { op: 'commit', k: 0, tab: false },
    ]);
    expect(streaming(h, {}, true).r.stats.ackLatencyMs.length).toBeGreaterThan(0);
  });
});

describe('a stored copy that outlives its message (streaming engine)', () => {
  it('a commit of a message already judged and forgotten is a late echo: no crash, no stranger', () => {
    // Found by the property above: message 0 stored twice (a second smid), message 1 stored after
    // it; message 0 is retired while a copy of it is held back by message 1's, then committed.
    const h = play([
      { op: 'send', event: false, named: false },
      { op: 'accept', k: 0, dup: false, newSmid: false },
      { op: 'accept', k: 0, dup: false, newSmid: true },
      { op: 'tick', ms: 1000 },
      { op: 'send', event: false, named: false },
      { op: 'accept', k: 1, dup: false, newSmid: false },
      { op: 'tick', ms: 1000 },
      { op: 'tick', ms: 1000 },
      { op: 'commit', k: 0, tab: false },
    ]);
    const engine = new Engine(ctx(h), new EventLog(), {
      endT: Number.POSITIVE_INFINITY,
      teardownFrom: Number.POSITIVE_INFINITY,
    });
    let retiredBeforeCommit = 0;
    for (const e of h.events) {
      if (e.kind === 'commit') retiredBeforeCommit = engine.s.l.msgs.base;
      engine.push(e);
      retire(engine.s, e.t, { maxAgeMs: 3000 });
    }
    const r = engine.finish(h.t);
    expect(retiredBeforeCommit).toBeGreaterThan(0);
    expect(r.findings.filter((f) => f.kind === 'unexpected-message')).toEqual([]);
  });
});
