/**
 * Receipt verdicts from literal histories: stand-in receipts for offline receivers (RCPT-1),
 * delivered receipts after the receiver's ack (RCPT-2), no delivered receipt before any ack
 * (RCPT-3), and the receipt re-sent after a duplicate (DEDUP-3).
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import { ctx, GRACE, H, LIMITS, type M, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** alice sends while bob (a bot) is offline; the server accepts. */
function offlineSend(h: H, opts: { stored?: boolean } = {}): M {
  h.bot(B);
  h.connect(A);
  const m = h.send(A, 'bob');
  h.accept(m);
  if (opts.stored !== false) h.receipt(A, m, 'stored');
  return m;
}

describe('RCPT-1: stand-in receipt for an offline receiver', () => {
  it('accepted while every receiver device was offline, no stored receipt → RCPT-1', () => {
    const h = new H();
    const m = offlineSend(h, { stored: false });
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { exactlyOnce: false } }));
    expect(summary(r)).toEqual(['missing-receipt RCPT-1']);
    expect(r.findings[0]!.cmid).toBe(m.cmid);
  });

  it('near miss: with the stored receipt there is no finding, and it is counted', () => {
    const h = new H();
    offlineSend(h);
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { exactlyOnce: false } }));
    expect(summary(r)).toEqual([]);
    expect(r.stats.receiptsStored).toBe(1);
  });

  it('a stored receipt later than standinWithinMs → latency against its threshold id, not RCPT-1', () => {
    const h = new H();
    h.bot(B);
    h.connect(A);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.tick(300);
    h.receipt(A, m, 'stored');
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { exactlyOnce: false, standinWithinMs: 100 } }));
    expect(summary(r)).toEqual(['latency threshold:standinWithin']);
    expect(
      summary(check(h.events, ctx(h, { expect: { exactlyOnce: false, standinWithinMs: 500 } }))),
    ).toEqual([]);
  });

  it('near miss: a receiver that closed only just before the send may still look online to the server', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.close(B, 'network');
    h.tick(50); // within settleMs (250)
    h.accept(h.send(A, 'bob'));
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: the sender was disconnected right after msg:A (no chance to receive it)', () => {
    const h = new H();
    offlineSend(h, { stored: false });
    h.close(A, 'network');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { exactlyOnce: false } })))).toEqual([]);
  });

  it('near miss: standin-receipt not claimed → no RCPT-1 finding (UNSUPPORTED, not FAILED)', () => {
    const h = new H();
    offlineSend(h, { stored: false });
    h.wait(GRACE + 100);
    h.teardown();
    const caps = ctx(h).caps.filter((c) => c !== 'standin-receipt');
    expect(summary(check(h.events, ctx(h, { caps, expect: { exactlyOnce: false } })))).toEqual([]);
  });
});

describe('RCPT-2: delivered receipt once the receiver acked', () => {
  function ackedNoReceipt(h: H): M {
    h.connect(A);
    h.connect(B);
    return h.deliver(A, [B], { receipt: false });
  }

  it('receiver ack confirmed, sender connected long after, no delivered receipt → RCPT-2', () => {
    const h = new H();
    const m = ackedNoReceipt(h);
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['missing-receipt RCPT-2']);
    expect(r.findings[0]!.smid).toBe(m.smid);
  });

  it('near miss: the sender went offline right after the ack (it recovers the receipt by retransmitting)', () => {
    const h = new H();
    ackedNoReceipt(h);
    h.close(A, 'client');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  /** alice's message, accepted, pushed to bob and committed by him: not yet acked. */
  function committedByBob(h: H): M {
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.tick(1);
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    return m;
  }

  /** bob acks seq 1 and gets no answer; then `between` happens; bob comes back and acks it again. */
  function ackUnanswered(h: H, between: () => void): M {
    const m = committedByBob(h);
    h.request(B, 'ack:R', { upTo: m.seq });
    between();
    h.connect(B, { lastSeq: m.seq });
    h.ack(B, m.seq!);
    return m;
  }

  it('near miss: an unanswered ack, then kill -9 — the receipt was due to the connection the crash closed', () => {
    const h = new H();
    ackUnanswered(h, () => {
      h.target('kill');
      h.close(A);
      h.close(B);
      h.target('restart');
      h.wait(500);
      h.connect(A);
    });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('an unanswered ack while the sender stayed on one connection still owes it the receipt → RCPT-2', () => {
    const h = new H();
    ackUnanswered(h, () => {
      h.close(B, 'client');
      h.wait(500);
    });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['missing-receipt RCPT-2']);
  });

  /**
   * alice sends, goes away and comes back while bob's ack is on its way: `order` says whether her
   * hello:A reached her before bob's ack:R left, or only between it and bob's ack:A.
   */
  function reconnectAroundAck(h: H, order: 'session-then-ack' | 'ack-then-session'): M {
    const m = committedByBob(h);
    h.close(A, 'network');
    h.tick(100);
    if (order === 'session-then-ack') {
      h.connect(A);
      h.tick(1);
      h.ack(B, m.seq!);
    } else {
      const rid = h.request(B, 'ack:R', { upTo: m.seq });
      h.tick(1);
      h.connect(A);
      h.tick(1);
      h.in(B, 'ack:A', { rid, upTo: m.seq });
    }
    return m;
  }

  it('a sender session up before the ack left the receiver is owed the receipt → RCPT-2', () => {
    const h = new H();
    reconnectAroundAck(h, 'session-then-ack');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['missing-receipt RCPT-2']);
  });

  it('near miss: a sender session that came up between the ack:R and its ack:A may postdate the ack', () => {
    // Frames on two connections reach the bots in no order the server promised: the server may
    // have applied bob's ack before alice's hello, though her hello:A arrived before bob's ack:A.
    const h = new H();
    reconnectAroundAck(h, 'ack-then-session');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: receipt expectation "any" does not demand delivered', () => {
    const h = new H();
    ackedNoReceipt(h);
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'any' } })))).toEqual([]);
  });

  it('near miss: the receiver never acked (withheld acks): no delivered receipt is owed', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    // No ack ever covers it, so the server pushes it again every repushMs (REPUSH-1).
    for (let attempt = 2; attempt <= 6; attempt++) {
      h.tick(LIMITS.repushMs);
      h.push(B, m, { attempt });
    }
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: the ack:N was dropped by the proxy', () => {
    const h = new H();
    const m = ackedNoReceipt(h);
    h.fault('drop', { actor: A, frame: { type: 'ack:N', smid: m.smid } });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });
});

describe('RCPT-3: no delivered receipt before an ack', () => {
  it('delivered arrives before any receiver device acked that seq → RCPT-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.receipt(A, m, 'delivered');
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['false-receipt RCPT-3']);
  });

  it('delivered for a message the receiver never even saw → RCPT-3 (judged at the end)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.receipt(A, m, 'delivered');
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { exactlyOnce: false } }));
    expect(summary(r)).toEqual(['false-receipt RCPT-3']);
  });

  it('near miss: the receipt may overtake the ack:A (the ack:R had already gone out)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    const rid = h.request(B, 'ack:R', { upTo: m.seq });
    h.receipt(A, m, 'delivered');
    h.in(B, 'ack:A', { rid, upTo: m.seq });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });
});

describe('DEDUP-3: a duplicate answered while the receipt is known re-sends it', () => {
  it('dup msg:A after a delivered receipt, no ack:N after it → DEDUP-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    h.retransmit(m);
    h.accept(m, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['missing-receipt DEDUP-3']);
  });

  it('dup msg:A while the receiver is offline, no stored receipt re-sent → DEDUP-3', () => {
    const h = new H();
    const m = offlineSend(h);
    h.tick(1000);
    h.retransmit(m);
    h.accept(m, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { exactlyOnce: false } })))).toEqual([
      'missing-receipt DEDUP-3',
    ]);
  });

  /**
   * bob offline: alice's stored receipt is lost, she retransmits, and the re-sent stored receipt
   * is lost too — its drop recorded `when` relative to the retransmission and its dup msg:A.
   */
  function resentReceiptLost(h: H, when: 'before-retransmission' | 'before-dup-answer'): M {
    const m = offlineSend(h, { stored: false });
    const lose = () =>
      h.fault('drop', { actor: A, frame: { type: 'ack:N', smid: m.smid, status: 'stored' } });
    if (when === 'before-retransmission') lose();
    h.tick(1000);
    h.retransmit(m);
    if (when === 'before-dup-answer') lose();
    h.accept(m, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    return m;
  }

  it('near miss: the re-sent receipt dropped between the retransmission and its dup msg:A is excused', () => {
    // Found by explore (seed 5012, a drop-ack-N rule): the server sends msg:A and the re-sent
    // ack:N back to back, and the proxy recorded dropping the ack:N 0.3 ms before the bot
    // recorded the msg:A; the excuse began at the msg:A and missed it.
    const h = new H();
    resentReceiptLost(h, 'before-dup-answer');
    expect(summary(check(h.events, ctx(h, { expect: { exactlyOnce: false } })))).toEqual([]);
  });

  it('only the first receipt lost, before the retransmission: the re-sent one is still owed → DEDUP-3', () => {
    const h = new H();
    resentReceiptLost(h, 'before-retransmission');
    expect(summary(check(h.events, ctx(h, { expect: { exactlyOnce: false } })))).toEqual([
      'missing-receipt DEDUP-3',
    ]);
  });

  /**
   * alice's msg:R is stored and pushed while bob is online, but alice's connection drops before its
   * msg:A; bob commits and acks, then goes offline. alice's retransmission is the first answer she
   * sees: a dup msg:A, answered while bob is offline — yet the message was not accepted offline.
   */
  function duplicateAnsweredFirst(h: H): M {
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.close(A, 'network');
    m.smid = 's1';
    m.seq = 1;
    h.tick(1);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.close(B, 'client');
    h.tick(1000);
    h.connect(A);
    h.retransmit(m, 'reconnect');
    h.accept(m, { dup: true });
    return m;
  }

  it('near miss: a dup msg:A seen first while the receiver is offline, stored while it was online, re-sends delivered: no RCPT-1', () => {
    // Found by explore (a kill -9 case): RCPT-1 was judged on the dup msg:A, as if the message had
    // been stored then, and asked for a stored receipt the server rightly did not send.
    const h = new H();
    const m = duplicateAnsweredFirst(h);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('…and with no receipt re-sent: DEDUP-3 (the delivered receipt was known), not RCPT-1', () => {
    const h = new H();
    duplicateAnsweredFirst(h);
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['missing-receipt DEDUP-3']);
  });

  it('a dup msg:A seen first, the receiver offline since before the first msg:R: accepted offline (RCPT-1)', () => {
    const h = new H();
    h.bot(B);
    h.connect(A);
    const m = h.send(A, 'bob');
    h.close(A, 'network');
    h.tick(1000);
    h.connect(A);
    h.retransmit(m, 'reconnect');
    h.accept(m, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h, { expect: { exactlyOnce: false } })))).toContain(
      'missing-receipt RCPT-1',
    );
  });

  it('a sender retransmitting until the end does not reset the clock: the first unmet dup counts', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    for (let k = 0; k < 6; k++) {
      h.tick(800);
      h.retransmit(m);
      h.accept(m, { dup: true });
    }
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['missing-receipt DEDUP-3']);
  });

  it('near miss: the receipt re-sent after the dup msg:A', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    h.retransmit(m);
    h.accept(m, { dup: true });
    h.receipt(A, m, 'delivered');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: a retransmission racing its own msg:A (receipt not known yet) owes nothing extra', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    const first = m.rid;
    h.retransmit(m);
    h.accept(m, { rid: first });
    h.accept(m, { dup: true });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({ sent: 1, accepted: 1, retransmits: 1, unanswered: 0 });
  });

  /**
   * bob/phone gets m1 and m2 but withholds its acks, then leaves; bob/tablet then logs in for the first time (`late`:
   * after m1 was stored, so it starts past it: maxSeq 1, pending 0) or before alice sent at all.
   * The tablet commits m2 and acks upTo 2; the server sends m2's delivered receipt. alice then
   * retransmits m1: dup msg:A, and no receipt follows it.
   */
  function tabletAcksPast(late: boolean): H {
    const T = 'bob/tablet';
    const h = new H();
    h.connect(A);
    h.connect(B);
    if (!late) h.connect(T);
    const m1 = h.send(A, 'bob');
    h.accept(m1);
    h.push(B, m1);
    h.commit(B, m1);
    if (!late) {
      h.push(T, m1);
      h.commit(T, m1);
    }
    if (late) h.connect(T, { maxSeq: 1, pending: 0 });
    const m2 = h.send(A, 'bob');
    h.accept(m2);
    h.push(B, m2);
    h.commit(B, m2);
    // The phone leaves before it is owed a re-push of what it never acked (REPUSH-1).
    h.close(B, 'client');
    h.push(T, m2);
    h.commit(T, m2);
    h.ack(T, 2);
    h.receipt(A, m2, 'delivered');
    h.tick(1000);
    h.retransmit(m1);
    h.accept(m1, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    return h;
  }

  it("near miss: a new device's ack covers none of the history it started past: no receipt is known (NEWDEV-1)", () => {
    const h = tabletAcksPast(true);
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('the same ack by a device that was there when m1 was stored covers it → RCPT-2 and DEDUP-3', () => {
    const h = tabletAcksPast(false);
    expect(summary(check(h.events, ctx(h))).sort()).toEqual([
      'missing-receipt DEDUP-3',
      'missing-receipt RCPT-2',
    ]);
  });
});
