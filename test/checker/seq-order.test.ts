/**
 * Sequence and order verdicts from literal histories: holes never filled (SEQ-1), one seq for two
 * messages (SEQ-2), a message changing its seq (SEQ-3), ORDER-1 across sender and receiver, ORDER-2
 * on one connection, and wire duplicates against maxWireDuplicates.
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import { ctx, GRACE, H, type M, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** Sends and accepts n messages alice→bob without pushing them. */
function accepted(h: H, n: number): M[] {
  const out: M[] = [];
  for (let k = 0; k < n; k++) {
    const m = h.send(A, 'bob');
    h.accept(m);
    out.push(m);
  }
  return out;
}

function take(h: H, m: M, opts: { attempt?: number | null } = {}) {
  h.push(B, m, opts);
  h.commit(B, m);
}

/** These histories leave pushes beyond a hole unacked and do not model the re-pushes they call for (REPUSH-1). */
const noRepush = (h: H) => ctx(h).caps.filter((c) => c !== 'server-repush');

describe('seq gaps (SEQ-1)', () => {
  it('a connected device saw seq 1 and 3, and seq 2 never reached anyone → SEQ-1', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2, m3] = accepted(h, 3);
    m3!.seq = 3;
    void m2;
    take(h, m1!);
    take(h, m3!);
    h.add({ kind: 'gap', t: h.t, actor: B, have: 1, saw: 3 });
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h, { caps: noRepush(h), expect: { exactlyOnce: false } }));
    expect(summary(r)).toEqual(['seq-gap SEQ-1']);
    expect(r.findings[0]!.actual).toContain('seq 2');
    expect(r.stats.seqGaps).toBe(1);
  });

  it('near miss: the gap filled by a sync page is no finding', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2, m3] = accepted(h, 3);
    take(h, m1!);
    take(h, m3!);
    h.sync(B, { after: 1, limit: 10 }, { msgs: [m2!, m3!], more: false });
    h.commit(B, m2!, { via: 'sync' });
    h.ack(B, 3);
    for (const m of [m1!, m2!, m3!]) h.receipt(A, m, 'delivered');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: a device that saw the seq above the hole just before the end had no time to fill it', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, , m3] = accepted(h, 3);
    take(h, m1!);
    h.wait(GRACE + 100);
    take(h, m3!);
    h.teardown();
    const r = check(h.events, ctx(h, { caps: noRepush(h), expect: { exactlyOnce: false, receipt: 'none' } }));
    expect(summary(r)).toEqual([]);
  });

  it('near miss: without contiguous-seq claimed, holes are allowed', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    m2!.seq = 5;
    take(h, m1!);
    take(h, m2!);
    h.wait(GRACE + 100);
    h.teardown();
    const caps = noRepush(h).filter((c) => c !== 'contiguous-seq');
    expect(summary(check(h.events, ctx(h, { caps, expect: { receipt: 'none' } })))).toEqual([]);
  });
});

describe('seq reuse and seq changes', () => {
  it('two smids with one seq in one inbox → SEQ-2', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    m2!.seq = 1;
    take(h, m1!);
    take(h, m2!);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    // The same defect also breaks ORDER-1 and ORDER-2 (seq 1 twice); SEQ-2 names the cause.
    expect(summary(r)).toContain('seq-reuse SEQ-2');
    expect(r.findings.find((f) => f.kind === 'seq-reuse')!.actual).toContain(m1!.smid!);
  });

  it('a re-push with another seq for the same smid → SEQ-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1] = accepted(h, 1);
    take(h, m1!);
    h.push(B, m1!, { attempt: 2, seq: 7 });
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })))).toEqual([
      'unexpected-message SEQ-3',
    ]);
  });

  it('near miss: re-pushes and sync pages repeating a message as it was are fine', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1] = accepted(h, 1);
    take(h, m1!);
    h.push(B, m1!, { attempt: 2 });
    h.sync(B, { after: 0, limit: 10 }, { msgs: [m1!], more: false });
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r)).toEqual([]);
    expect(r.stats.wireDuplicates).toBe(1);
  });
});

describe('ORDER-1: one sender to one receiver', () => {
  it('a message sent after the previous one was accepted gets a lower seq → ORDER-1', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m1 = h.send(A, 'bob');
    h.accept(m1, { seq: 2 });
    const m2 = h.send(A, 'bob');
    h.accept(m2, { seq: 1 });
    take(h, m2);
    take(h, m1);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r)).toContain('order-violation ORDER-1');
    expect(r.findings.find((f) => f.requirement === 'ORDER-1')!.cmid).toBe(m2.cmid);
  });

  it('near miss: pipelined sends (the second msg:R before the first msg:A) may be reordered', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m1 = h.send(A, 'bob');
    const m2 = h.send(A, 'bob');
    h.accept(m2, { seq: 1 });
    h.accept(m1, { seq: 2 });
    take(h, m2);
    take(h, m1);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })))).toEqual([]);
  });

  it('near miss: a retransmission after the next message was accepted keeps its first request time', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m1 = h.send(A, 'bob');
    const m2 = h.send(A, 'bob');
    h.accept(m2, { seq: 1, rid: m2.rid });
    h.retransmit(m1);
    h.accept(m1, { seq: 2 });
    take(h, m2);
    take(h, m1);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r).filter((s) => s.includes('ORDER'))).toEqual([]);
  });
});

describe('ORDER-2: first pushes on one connection', () => {
  it('first pushes of seq 2 then seq 1 → ORDER-2', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    take(h, m2!);
    take(h, m1!);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r)).toEqual(['order-violation ORDER-2']);
    expect(r.findings[0]!.actual).toContain('seq 1 was first-pushed after seq 2');
  });

  it('two first pushes (attempt 1) of one seq → ORDER-2, and the second is a wire duplicate', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1] = accepted(h, 1);
    take(h, m1!);
    h.push(B, m1!, { attempt: 1 });
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    // A second "attempt 1" on one connection is also a miscounted attempt (always-on push-chain).
    expect(summary(r)).toEqual(['order-violation ORDER-2', 'assertion REPUSH-3']);
    expect(r.findings[0]!.actual).toContain('first-pushed twice');
    expect(r.stats.wireDuplicates).toBe(1);
  });

  it('near miss: a re-push (attempt 2) of a lower seq is not a first push', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    take(h, m1!);
    take(h, m2!);
    h.push(B, m1!, { attempt: 2 });
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })))).toEqual([]);
  });

  it('near miss: after a reconnect first pushes start over (attempt 1 again, lower seqs)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    h.push(B, m1!);
    h.push(B, m2!);
    h.add({ kind: 'misbehave', t: h.t, actor: B, what: 'crash-before-commit' });
    h.close(B, 'crash');
    h.connect(B, { lastSeq: 0 });
    take(h, m1!);
    take(h, m2!);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r)).toEqual([]);
    expect(r.stats.wireDuplicates).toBe(0);
  });

  it('near miss: a proxy that reordered frames on that connection explains it', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2] = accepted(h, 2);
    h.fault('reorder', { actor: B, frame: h.stored(m1!) });
    take(h, m2!);
    take(h, m1!);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })))).toEqual([]);
  });

  it('a server that never sends attempt: first arrival per seq is judged, re-pushes are not', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1, m2, m3] = accepted(h, 3);
    take(h, m1!, { attempt: null });
    take(h, m3!, { attempt: null });
    h.push(B, m1!, { attempt: null }); // a re-push, indistinguishable: not judged
    take(h, m2!, { attempt: null }); // first arrival of seq 2 after seq 3: judged
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    // The re-push without attempt breaks REPUSH-3 (a SHOULD), which the always-on push-chain judges.
    expect(summary(r)).toEqual(['order-violation ORDER-2', 'assertion REPUSH-3']);
    expect(r.findings[0]!.actual).toContain('seq 2 was first-pushed after seq 3');
  });
});

describe('wire duplicates', () => {
  it('are counted, and reported only above maxWireDuplicates (with the case requirement)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const [m1] = accepted(h, 1);
    take(h, m1!);
    h.push(B, m1!, { attempt: 2 });
    h.push(B, m1!, { attempt: 3 });
    h.teardown();
    const within = check(h.events, ctx(h, { expect: { receipt: 'none', maxWireDuplicates: 2 } }));
    expect(summary(within)).toEqual([]);
    expect(within.stats.wireDuplicates).toBe(2);
    const over = check(
      h.events,
      ctx(h, { severity: 'SHOULD', expect: { receipt: 'none', maxWireDuplicates: 1 } }),
    );
    expect(summary(over)).toEqual(['wire-duplicate threshold:maxWireDuplicates']);
    expect(over.findings[0]!.level).toBe('SHOULD');
    expect(over.findings[0]!.evidence).toHaveLength(2);
  });
});
