/**
 * Sync pages (SYNC-1, SYNC-2, SYNC-4, SYNC-5), ack answers (ACK-1, ACK-4, DUR-2, SYNC-3, MDEV-1)
 * and hello counts (HELLO-1) from literal histories.
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import { ctx, H, type M, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** n messages alice→bob accepted while bob is offline; bob then logs in (pending n). */
function inbox(n: number): { h: H; msgs: M[] } {
  const h = new H();
  h.bot(B);
  h.connect(A);
  const msgs: M[] = [];
  for (let k = 0; k < n; k++) {
    const m = h.send(A, 'bob');
    h.accept(m);
    h.receipt(A, m, 'stored');
    msgs.push(m);
  }
  h.tick(300);
  h.connect(B, { lastSeq: 0 });
  return { h, msgs };
}

const NO_RCPT = { expect: { receipt: 'none' as const, exactlyOnce: false } };

describe('sync pages', () => {
  it('near miss: chained forward pages reading every seq once, then the last page', () => {
    const { h, msgs } = inbox(5);
    h.sync(B, { after: 0, limit: 2 }, { msgs: msgs.slice(0, 2), more: true });
    h.sync(B, { after: 2, limit: 2, ackUpTo: 2 }, { msgs: msgs.slice(2, 4), more: true });
    h.sync(B, { after: 4, limit: 2, ackUpTo: 4 }, { msgs: msgs.slice(4), more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual([]);
  });

  it('a chained page skipping a seq at the boundary that exists elsewhere → SYNC-4', () => {
    const { h, msgs } = inbox(5);
    h.sync(B, { after: 0, limit: 2 }, { msgs: msgs.slice(0, 2), more: true });
    h.sync(B, { after: 2, limit: 2 }, { msgs: msgs.slice(3, 5), more: false });
    h.push(B, msgs[2]!); // seq 3 exists: the page skipped it
    h.teardown();
    const r = check(h.events, ctx(h, NO_RCPT));
    expect(summary(r)).toContain('sync-page SYNC-4');
    expect(r.findings.find((f) => f.requirement === 'SYNC-4')!.actual).toContain('seq 3');
  });

  it('a page missing a seq inside it → SYNC-1; a hole that exists nowhere → SEQ-1', () => {
    const { h, msgs } = inbox(4);
    h.sync(B, { after: 0, limit: 10 }, { msgs: [msgs[0]!, msgs[2]!, msgs[3]!], more: false });
    h.push(B, msgs[1]!);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['sync-page SYNC-1']);

    const g = inbox(4);
    g.h.sync(B, { after: 0, limit: 10 }, { msgs: [g.msgs[0]!, g.msgs[2]!, g.msgs[3]!], more: false });
    g.h.teardown();
    expect(summary(check(g.h.events, ctx(g.h, NO_RCPT)))).toEqual(['seq-gap SEQ-1']);
  });

  it('more inconsistent with maxSeq → SYNC-1', () => {
    const { h, msgs } = inbox(3);
    h.sync(B, { after: 0, limit: 10 }, { msgs, more: true });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['sync-page SYNC-1']);
  });

  it('a short page claiming more, and an empty page while messages exist → SYNC-1', () => {
    const { h, msgs } = inbox(3);
    h.sync(B, { after: 0, limit: 3 }, { msgs: msgs.slice(0, 2), more: true });
    h.sync(B, { after: 2, limit: 3 }, { msgs: [], more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['sync-page SYNC-1', 'sync-page SYNC-1']);
  });

  it('more messages than min(limit, syncLimitMax) → SYNC-5', () => {
    const { h, msgs } = inbox(3);
    h.sync(B, { after: 0, limit: 2 }, { msgs, more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['sync-page SYNC-5']);
  });

  it('a page answered to a sync:R with both after and before → SYNC-5', () => {
    const { h, msgs } = inbox(1);
    h.sync(B, { after: 0, before: 2, limit: 5 }, { msgs, more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['sync-page SYNC-5']);
  });

  it('backward paging (new device): newest page first, then older → no finding', () => {
    const { h, msgs } = inbox(5);
    h.connect('bob/tablet', { maxSeq: 5 });
    h.sync('bob/tablet', { before: 6, limit: 2 }, { msgs: msgs.slice(3), more: true });
    h.sync('bob/tablet', { before: 4, limit: 2 }, { msgs: msgs.slice(1, 3), more: true });
    h.sync('bob/tablet', { before: 2, limit: 2 }, { msgs: msgs.slice(0, 1), more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual([]);
  });

  it('a backward page that is not the newest below before, or says more wrongly → SYNC-2', () => {
    const { h, msgs } = inbox(5);
    h.sync(B, { before: 6, limit: 2 }, { msgs: msgs.slice(2, 4), more: true });
    h.sync(B, { before: 3, limit: 2 }, { msgs: msgs.slice(0, 2), more: true });
    h.teardown();
    const r = check(h.events, ctx(h, NO_RCPT));
    // seq 5 (below before 6) exists but the page stopped at 4; then more: true with seq 1 in the page.
    expect(summary(r).sort()).toEqual(['sync-page SYNC-2', 'sync-page SYNC-2']);
  });

  it('a message first seen in a sync page is read back from that page item: a re-push with another body → SEQ-3', () => {
    const { h, msgs } = inbox(2);
    h.sync(B, { after: 0, limit: 10 }, { msgs, more: false });
    for (const m of msgs) h.commit(B, m, { via: 'sync' });
    const m2 = msgs[1]!;
    h.push(B, m2);
    h.push(B, m2, { attempt: 2, body: 'changed' });
    h.ack(B, 2);
    const r = check(h.events, ctx(h, NO_RCPT));
    // The changed body is caught against the page item it was first seen in (the ledger), and
    // against the body its sender sent (the always-on rule body-integrity).
    expect(summary(r)).toEqual(['assertion SEQ-3', 'unexpected-message SEQ-3']);
    expect(r.findings.map((f) => f.smid)).toEqual([m2.smid, m2.smid]);
    expect(r.stats.wireDuplicates).toBe(2);
  });

  it('a page message whose smid differs from what that seq was elsewhere → SEQ-2', () => {
    const { h, msgs } = inbox(2);
    h.push(B, msgs[0]!);
    const forged = { ...msgs[1]!, smid: 'other', seq: 1 };
    h.sync(B, { after: 0, limit: 10 }, { msgs: [forged, msgs[1]!], more: false });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toContain('seq-reuse SEQ-2');
  });

  it('near miss: without paged-sync claimed, SYNC-1 findings are dropped', () => {
    const { h, msgs } = inbox(3);
    h.sync(B, { after: 0, limit: 10 }, { msgs, more: true });
    h.teardown();
    const caps = ctx(h).caps.filter((c) => c !== 'paged-sync');
    expect(summary(check(h.events, ctx(h, { ...NO_RCPT, caps })))).toEqual([]);
  });
});

describe('ack answers', () => {
  function acked(): H {
    const { h, msgs } = inbox(3);
    for (const m of msgs) {
      h.push(B, m);
      h.commit(B, m);
    }
    h.ack(B, 2);
    return h;
  }

  it('an ack:A cursor that moved backwards → ACK-4', () => {
    const h = acked();
    h.ack(B, 1, 1);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion ACK-4']);
  });

  it('near miss: a lower ack is answered with the unchanged cursor', () => {
    const h = acked();
    h.ack(B, 1, 2);
    h.ack(B, 3);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual([]);
  });

  it('an ack:A below what was requested → ACK-1', () => {
    const h = acked();
    h.ack(B, 3, 2);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion ACK-1']);
  });

  it('a cursor lost across a restart → DUR-2', () => {
    const h = acked();
    h.target('kill');
    h.close(B, 'network');
    h.target('restart');
    h.connect(B, { lastSeq: 2 });
    h.ack(B, 1, 1);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion DUR-2']);
  });

  it('an ackUpTo on sync:R ignored by the server → SYNC-3', () => {
    const { h, msgs } = inbox(3);
    h.sync(B, { after: 0, limit: 2 }, { msgs: msgs.slice(0, 2), more: true });
    h.sync(B, { after: 2, limit: 2, ackUpTo: 2 }, { msgs: msgs.slice(2), more: false });
    h.ack(B, 1, 1);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion SYNC-3']);
  });

  it('another device’s cursor leaking into this one → MDEV-1', () => {
    const { h, msgs } = inbox(3);
    h.connect('bob/laptop', { lastSeq: 0 });
    for (const m of msgs) h.push('bob/laptop', m);
    h.ack('bob/laptop', 3);
    h.ack(B, 1, 3);
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion MDEV-1']);
  });

  it('a re-login trusting the server shows another device’s cursor (pending too low) → MDEV-1', () => {
    const { h, msgs } = inbox(3);
    h.connect('bob/tablet', { lastSeq: 0 });
    for (const m of msgs) h.push('bob/tablet', m);
    h.ack(B, 3);
    h.close('bob/tablet', 'client');
    h.connect('bob/tablet', { maxSeq: 3, pending: 0 });
    h.teardown();
    const r = check(h.events, ctx(h, NO_RCPT));
    expect(summary(r)).toEqual(['assertion MDEV-1']);
    expect(r.findings[0]!.actual).toContain('bob/phone');
  });

  it('near miss: the re-login reports the device’s own cursor', () => {
    const { h, msgs } = inbox(3);
    h.connect('bob/tablet', { lastSeq: 0 });
    for (const m of msgs) h.push('bob/tablet', m);
    h.ack(B, 3);
    h.ack('bob/tablet', 1);
    h.close('bob/tablet', 'client');
    h.connect('bob/tablet', { maxSeq: 3, pending: 2 });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual([]);
  });

  it('a re-login after a restart shows the acked cursor forgotten (pending too high) → DUR-2', () => {
    const h = acked();
    h.target('kill');
    h.close(B, 'network');
    h.target('restart');
    h.connect(B, { maxSeq: 3, pending: 3 });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual(['assertion DUR-2']);
  });

  it('near miss: acks in flight together answered out of order (RID-3)', () => {
    const { h, msgs } = inbox(3);
    for (const m of msgs) h.push(B, m);
    const r1 = h.request(B, 'ack:R', { upTo: 1 });
    const r2 = h.request(B, 'ack:R', { upTo: 3 });
    h.in(B, 'ack:A', { rid: r2, upTo: 3 });
    h.in(B, 'ack:A', { rid: r1, upTo: 1 });
    h.teardown();
    expect(summary(check(h.events, ctx(h, NO_RCPT)))).toEqual([]);
  });
});

describe('HELLO-1: count first', () => {
  it('pending other than maxSeq − lastSeq → HELLO-1', () => {
    const h = new H();
    h.connect(B, { lastSeq: 2, maxSeq: 5, pending: 5 });
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['assertion HELLO-1']);
    expect(r.findings[0]!.expected).toContain('pending 3');
  });

  it('near miss: pending 0 when lastSeq is ahead, and no lastSeq (new device) is not judged', () => {
    const h = new H();
    h.connect(B, { lastSeq: 9, maxSeq: 5, pending: 0 });
    h.connect('bob/new', { maxSeq: 5, pending: 0 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });
});
