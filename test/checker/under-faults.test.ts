/**
 * A correct server under faults must get no finding: lost frames of each kind of the exchange,
 * a retransmission racing its own msg:A, pushes crossing acks, a cut between msg:A and msg:N, a
 * kill -9 right after msg:A, duplicated pushes, a half-open receiver. Each history is what a
 * correct server and the kit's bots produce; the last test bends one of them into the server
 * fault `no-repush` to show the same checker still catches it.
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import { ctx, GRACE, H, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';
const REPUSH = 500;

function both(): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  return h;
}

function end(h: H) {
  h.wait(GRACE + 100);
  h.teardown();
  return check(h.events, ctx(h));
}

describe('a correct server under faults', () => {
  it('msg:N dropped → re-pushed after repushMs (attempt 2) → committed', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.fault('drop', { actor: B, frame: { type: 'msg:N', smid: m.smid } });
    h.tick(REPUSH);
    h.push(B, m, { attempt: 2 });
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    const r = end(h);
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({ delivered: 1, lost: 0, wireDuplicates: 0 });
  });

  it('msg:A dropped → retransmission answered dup → receipts as usual', () => {
    const h = both();
    const m = h.send(A, 'bob');
    const first = m.rid;
    h.fault('drop', { actor: A, frame: { type: 'msg:A', rid: first, smid: 's1' } });
    m.smid = 's1';
    m.seq = 1;
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    h.tick(1000);
    h.retransmit(m);
    h.accept(m, { dup: true });
    h.receipt(A, m, 'delivered'); // DEDUP-3: the known receipt again
    const r = end(h);
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({ accepted: 1, unknownOutcome: 0, unanswered: 1 });
  });

  it('ack:R dropped → re-push of a committed message (a wire duplicate) → acked again', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    const rid = h.request(B, 'ack:R', { upTo: 1 });
    h.fault('drop', { actor: B, frame: { type: 'ack:R', rid, upTo: 1 } });
    h.tick(REPUSH);
    h.push(B, m, { attempt: 2 });
    h.add({ kind: 'dedup', t: h.t, actor: B, smid: m.smid!, seq: 1, via: 'push' });
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    const r = end(h);
    expect(summary(r)).toEqual([]);
    expect(r.stats.wireDuplicates).toBe(1);
  });

  it('ack:N dropped → the sender retransmits → dup msg:A and the receipt again', () => {
    const h = both();
    const m = h.deliver(A, [B], { receipt: false });
    h.fault('drop', { actor: A, frame: { type: 'ack:N', smid: m.smid, status: 'delivered' } });
    h.tick(1000);
    h.retransmit(m);
    h.accept(m, { dup: true });
    h.receipt(A, m, 'delivered');
    expect(summary(end(h))).toEqual([]);
  });

  it('pushes crossing acks: a re-push in flight while the ack:R is on its way', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.tick(REPUSH - 1);
    const rid = h.request(B, 'ack:R', { upTo: 1 });
    h.push(B, m, { attempt: 2 });
    h.in(B, 'ack:A', { rid, upTo: 1 });
    h.receipt(A, m, 'delivered');
    expect(summary(end(h))).toEqual([]);
  });

  it('the receiver’s connection cut between msg:A and msg:N → reconnect, on-connect push (attempt 1)', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.fault('cut', { actor: B });
    h.close(B, 'network');
    h.tick(100);
    h.connect(B, { lastSeq: 0 });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    expect(summary(end(h))).toEqual([]);
  });

  it('kill -9 right after msg:A → restart → everyone reconnects, the message arrives, the retransmit is dup', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.target('kill');
    h.close(A, 'network');
    h.close(B, 'network');
    h.target('restart');
    h.tick(200);
    h.connect(A, { lastSeq: 0 });
    h.connect(B, { lastSeq: 0 });
    h.retransmit(m, 'reconnect');
    h.accept(m, { dup: true });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    const r = end(h);
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({ accepted: 1, delivered: 1, retransmits: 1 });
  });

  it('msg:N duplicated by the proxy: two identical first pushes, counted as a wire duplicate only', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.fault('duplicate', { actor: B, frame: h.stored(m) });
    h.push(B, m);
    h.commit(B, m);
    h.push(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    const r = end(h);
    expect(summary(r)).toEqual([]);
    expect(r.stats.wireDuplicates).toBe(1);
  });

  it('a half-open receiver (stall without close) until the end: its missing commit is not counted against the server', () => {
    const h = both();
    h.fault('stall', { actor: B });
    const m = h.send(A, 'bob');
    h.accept(m);
    const r = end(h);
    expect(summary(r)).toEqual([]);
  });

  it('the same loss without re-push (server fault no-repush) is caught: lost PUSH-1', () => {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.fault('drop', { actor: B, frame: { type: 'msg:N', smid: m.smid } });
    const r = end(h);
    expect(summary(r)).toEqual(['lost PUSH-1']);
    // A server that never claimed server-repush cannot be blamed for it.
    const caps = ctx(h).caps.filter((c) => c !== 'server-repush');
    expect(summary(check(h.events, ctx(h, { caps })))).toEqual([]);
  });
});

describe('what a lost frame cannot excuse', () => {
  /** bob commits the push, his ack:R is dropped on the way: the server never learns of it. */
  function ackLost(): { h: H; m: ReturnType<H['send']>; rid: string } {
    const h = both();
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    const rid = h.request(B, 'ack:R', { upTo: 1 });
    h.fault('drop', { actor: B, frame: { type: 'ack:R', rid, upTo: 1 } });
    return { h, m, rid };
  }

  it('a push whose only ack was lost and that is never pushed again breaks REPUSH-1', () => {
    const { h } = ackLost();
    const r = end(h);
    expect(summary(r)).toEqual(['missing-repush REPUSH-1']);
    expect(r.findings[0]!.actual).toContain('highest ack that may have arrived: 0');
    const caps = ctx(h).caps.filter((c) => c !== 'server-repush');
    expect(summary(check(h.events, ctx(h, { caps })))).toEqual([]);
  });

  it('no REPUSH-1 finding when an ack that may have arrived covers it, or the connection ended first', () => {
    const later = ackLost();
    const again = later.h.send(A, 'bob');
    later.h.accept(again);
    later.h.push(B, again);
    later.h.commit(B, again);
    later.h.ack(B, 2); // cumulative: covers the first push too
    expect(summary(end(later.h))).not.toContain('missing-repush REPUSH-1');
    const gone = ackLost();
    gone.h.tick(REPUSH - 100);
    gone.h.close(B, 'client');
    expect(summary(end(gone.h))).toEqual([]);
  });

  it('REPUSH-1 is not charged when the ack reached the server and only its answer was lost', () => {
    // The proxy dropped bob's answer: its rid is the ack's, but the server answered, so it had the
    // ack and rightly stopped pushing. Read as a lost ack:R this was a false REPUSH-1 under loss.
    const answerLost = (type: 'ack:R' | 'sync:R', fields: Record<string, unknown>, answer: object) => {
      const h = both();
      const m = h.deliver(A, [B], { receipt: false });
      h.events.splice(-2); // keep bob's push and commit, not the fixture's ack:R and ack:A
      const rid = h.request(B, type, fields);
      h.fault('drop', { actor: B, frame: { ...answer, rid } });
      h.tick(1).receipt(A, m, 'delivered');
      return summary(end(h));
    };
    expect(answerLost('ack:R', { upTo: 1 }, { type: 'ack:A', upTo: 1 })).toEqual([]);
    // The same for an ack riding on sync:R whose page was lost on the way back.
    const page = { type: 'sync:A', msgs: [], more: false, maxSeq: 1 };
    expect(answerLost('sync:R', { after: 1, limit: 50, ackUpTo: 1 }, page)).toEqual([]);
  });

  it('an ack sent twice under one rid is lost only when both were dropped', () => {
    /** bob sends the dropped ack:R again under the same rid; `dropAgain`: the proxy drops it too. */
    const resent = (dropAgain: boolean) => {
      const { h, rid } = ackLost();
      h.tick(100);
      h.request(B, 'ack:R', { upTo: 1 });
      const again = h.events.at(-1);
      if (again?.kind === 'frame') again.fields['rid'] = rid; // the fixture's rids are fresh
      if (dropAgain) h.fault('drop', { actor: B, frame: { type: 'ack:R', rid, upTo: 1 } });
      return summary(end(h));
    };
    // The second copy may have arrived: no REPUSH-1 (the missing answer is RID-1's).
    expect(resent(false)).toEqual(['unanswered-request RID-1']);
    expect(resent(true)).toEqual(['missing-repush REPUSH-1']);
  });

  it('a duplicate answered after a lost receipt must still bring the receipt again (DEDUP-3)', () => {
    const h = both();
    const m = h.deliver(A, [B], { receipt: false });
    h.fault('drop', { actor: A, frame: { type: 'ack:N', smid: m.smid, status: 'delivered' } });
    h.tick(1000);
    h.retransmit(m);
    h.accept(m, { dup: true });
    // The server answers the duplicate but never re-sends the receipt it knows (dup-no-receipt).
    expect(summary(end(h))).toEqual(['missing-receipt DEDUP-3']);
  });
});
