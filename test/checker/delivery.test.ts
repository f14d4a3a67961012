/**
 * Delivery verdicts from literal histories: lost (PUSH-1, OFF-1, DUR-1), app duplicates
 * (DEDUP-2, SEQ-3), unexpected messages (SEQ-3) and sends with unknown outcome (RID-1, MSG-1) —
 * each with a near miss a correct server produces and that must not count.
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import { ctx, GRACE, H, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

describe('a correct exchange', () => {
  it('six frames, a commit and a delivered receipt give no finding and sane stats', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.deliver(A, [B]);
    h.deliver(A, [B]);
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({
      sent: 2,
      accepted: 2,
      delivered: 2,
      lost: 0,
      appDuplicates: 0,
      wireDuplicates: 0,
      unknownOutcome: 0,
      receiptsDelivered: 2,
      requests: 6,
      unanswered: 0,
    });
    expect(r.stats.ackLatencyMs).toHaveLength(2);
    expect(r.stats.deliveryLatencyMs).toHaveLength(2);
    expect(r.stats.ackLatencyMs[0]).toBeGreaterThan(0);
  });
});

describe('lost messages', () => {
  it('accepted but never committed by a connected receiver that had time → lost PUSH-1, naming the device', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['lost PUSH-1']);
    expect(r.findings[0]!.actual).toContain('bob/phone');
    expect(r.findings[0]!.cmid).toBe(m.cmid);
    expect(r.stats.lost).toBe(1);
  });

  it('near miss: accepted just before the end (no time to deliver) is not lost', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.accept(h.send(A, 'bob'));
    h.wait(GRACE / 2);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: a receiver that is not connected at the end owes nothing yet', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.close(B, 'client');
    h.accept(h.send(A, 'bob'));
    h.receipt(A, { cmid: 'c1', smid: 's1', to: 'bob' } as never, 'stored');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('the runner teardown (trailing client closes) still counts as connected at the end', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.accept(h.send(A, 'bob'));
    h.wait(GRACE + 100);
    h.teardown();
    // Without the teardown heuristic bob would look disconnected and the loss would be missed.
    expect(summary(check(h.events, ctx(h)))).toEqual(['lost PUSH-1']);
  });

  it('receiver offline at accept, connects later and never gets it → lost OFF-1', () => {
    const h = new H();
    h.bot(B);
    h.connect(A);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.receipt(A, m, 'stored');
    h.tick(100);
    // A fresh install logs in with lastSeq 0; the server lost the message, so pending is 0.
    h.connect(B, { lastSeq: 0, pending: 0, maxSeq: 0 });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['lost OFF-1']);
  });

  /** A message accepted, then the target stopped (`action`) and restarted, and never delivered. */
  function lostAcross(action: 'kill' | 'term', closedBy: 'network' | 'server') {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.accept(h.send(A, 'bob'));
    h.target(action);
    h.close(A, closedBy);
    h.close(B, closedBy);
    h.target('restart');
    h.tick(100);
    h.connect(A, { lastSeq: 0, maxSeq: 0 });
    h.connect(B, { lastSeq: 0, maxSeq: 0 });
    h.wait(GRACE + 100);
    h.teardown();
    return { h, r: check(h.events, ctx(h)) };
  }

  it('target killed after msg:A and the message never arrives → lost DUR-1', () => {
    const { h, r } = lostAcross('kill', 'network');
    expect(summary(r)).toEqual(['lost DUR-1']);
    expect(r.findings[0]!.evidence).toContain(h.events.findIndex((e) => e.kind === 'target'));
    expect(r.findings[0]!.actual).toMatch(/, the target was killed \(SIGKILL\) in between$/);
  });

  it('a clean stop and restart in between is told as one, not as a crash', () => {
    const { r } = lostAcross('term', 'server');
    expect(summary(r)).toEqual(['lost DUR-1']);
    expect(r.findings[0]!.actual).toMatch(/, the target was stopped \(SIGTERM\) in between$/);
  });

  it('msg:A before a crash, the smid gone after it, a retransmission stored anew → lost DUR-1', () => {
    // What `ack-before-commit` looks like: the receiver does get a message, from the retransmission.
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m, { smid: 's-before', seq: 1 });
    h.target('kill');
    h.close(A, 'network');
    h.close(B, 'network');
    h.target('restart');
    h.connect(A, { lastSeq: 0, maxSeq: 0 });
    h.connect(B, { lastSeq: 0, maxSeq: 0 });
    h.retransmit(m, 'reconnect');
    h.accept(m, { smid: 's-after', seq: 1 });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['lost DUR-1']);
    expect(r.findings[0]!.smid).toBe('s-before');
  });

  it('the same loss under a server that re-creates the same smid: the missing dup: true → lost DUR-1', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.target('kill');
    h.close(A, 'network');
    h.close(B, 'network');
    h.target('restart');
    h.connect(A, { lastSeq: 0, maxSeq: 0 });
    h.connect(B, { lastSeq: 0, maxSeq: 0 });
    h.retransmit(m, 'reconnect');
    h.accept(m); // same smid and seq, but not recognised as a duplicate
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['lost DUR-1']);
    expect(r.findings[0]!.actual).toContain('without dup: true');
    // A server without dedup makes no promise about retransmissions.
    const caps = ctx(h).caps.filter((c) => c !== 'dedup');
    expect(summary(check(h.events, ctx(h, { caps })))).toEqual([]);
  });

  it('near miss: a retransmission sent before the first msg:A arrived is not judged for dup', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    const first = m.rid;
    h.retransmit(m);
    h.accept(m, { rid: first });
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  /**
   * A message accepted as s-before, the target killed and restarted, the sender's retransmission
   * stored anew as s-after. `before`: s-before was pushed to bob before the crash; `after`: how
   * the server showed s-before after the restart (a push, a sync page), or never (`none`: the
   * server lost it, and bob's inbox holds only s-after). A server without dedup (`no-dedup`)
   * re-pushes an unacked s-before after the restart and stores the retransmission anew.
   */
  function firstCopyAroundCrash(before: boolean, after: 'push' | 'page' | 'none') {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m, { smid: 's-before', seq: 1 });
    const first = { ...m };
    if (before) h.push(B, first);
    h.target('kill');
    h.close(A, 'network');
    h.close(B, 'network');
    h.target('restart');
    if (after === 'none') h.connect(B, { lastSeq: 0, maxSeq: 0 });
    else {
      h.connect(B, { lastSeq: 0 });
      if (after === 'push') h.push(B, first);
      else h.sync(B, { after: 0, limit: 10 }, { msgs: [first], more: false });
      h.commit(B, first, { via: after === 'push' ? 'push' : 'sync' });
      h.ack(B, 1);
    }
    h.connect(A, { lastSeq: 0 });
    h.retransmit(m, 'reconnect');
    const seq = after === 'none' ? 1 : 2;
    h.accept(m, { smid: 's-after', seq });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, seq);
    h.wait(GRACE);
    h.teardown();
    return summary(check(h.events, ctx(h, { expect: { receipt: 'none' } }))).sort();
  }

  const survived = ['app-duplicate DEDUP-2', 'app-duplicate DUR-3'];

  it('the first copy survived the crash but the retransmission was stored again → DUR-3', () => {
    expect(firstCopyAroundCrash(false, 'push')).toEqual(survived);
  });

  it('the first copy pushed before the crash and pushed or paged again after it survived → DUR-3, not lost', () => {
    expect(firstCopyAroundCrash(true, 'push')).toEqual(survived);
    expect(firstCopyAroundCrash(true, 'page')).toEqual(survived);
  });

  it('near miss: the first copy pushed before the crash only, never after it → lost DUR-1', () => {
    expect(firstCopyAroundCrash(true, 'none')).toContain('lost DUR-1');
  });

  it('near miss: a new device that joins after the message is not owed it (NEWDEV-1)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    h.connect('bob/laptop', { maxSeq: m.seq! });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  /**
   * The first msg:A is lost on its way to alice; bob/laptop logs in for the first time while the
   * message is already in bob's inbox (maxSeq 1, pending 0) and no device of bob ever sees it (so
   * its seq is unknown to the checker); alice's retransmission is answered dup: true. `before`:
   * bob/laptop logged in before alice sent at all.
   */
  function storedBeforeNewDevice(before: boolean): H {
    const h = new H();
    h.connect(A);
    if (before) h.connect('bob/laptop');
    const m = h.send(A, 'bob');
    h.tick(5);
    m.smid = 's1';
    m.seq = 1;
    h.fault('drop', { actor: A, frame: { type: 'msg:A', rid: m.rid, cmid: m.cmid, smid: m.smid, ts: 1 } });
    if (!before) h.connect('bob/laptop', { maxSeq: 1, pending: 0 });
    h.tick(1000);
    h.retransmit(m);
    h.tick(5);
    h.accept(m, { dup: true });
    h.wait(GRACE + 100);
    h.teardown();
    return h;
  }

  it('near miss: a new device is not owed a message stored before it, though its first msg:A was lost (NEWDEV-1)', () => {
    const h = storedBeforeNewDevice(false);
    expect(summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })))).toEqual([]);
  });

  it('the same message never pushed to a device that was online before it was sent → lost PUSH-1', () => {
    const h = storedBeforeNewDevice(true);
    const r = check(h.events, ctx(h, { expect: { receipt: 'none' } }));
    expect(summary(r)).toEqual(['lost PUSH-1']);
    expect(r.findings[0]!.actual).toContain('bob/laptop');
  });

  it('multi-device: the second connected device never got it → lost, naming that device', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.connect('bob/laptop');
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['lost PUSH-1']);
    expect(r.findings[0]!.actual).toContain('bob/laptop');
    expect(r.findings[0]!.actual).not.toContain('bob/phone');
    // Without multi-device one device having it is delivery.
    const caps = ctx(h).caps.filter((c) => c !== 'multi-device');
    expect(summary(check(h.events, ctx(h, { caps })))).toEqual([]);
  });

  it('near miss: exactlyOnce false counts the loss but reports nothing', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.accept(h.send(A, 'bob'));
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { exactlyOnce: false } }));
    expect(summary(r)).toEqual([]);
    expect(r.stats.lost).toBe(1);
  });
});

describe('app duplicates', () => {
  it('the server stored a retransmission twice: two smids of one cmid committed → DEDUP-2', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.retransmit(m);
    h.accept(m, { smid: 's-copy' });
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    // The retransmission answered with a new smid (DEDUP-1) and committed twice (DEDUP-2).
    expect(summary(r).sort()).toEqual(['app-duplicate DEDUP-1', 'app-duplicate DEDUP-2']);
    expect(r.stats.appDuplicates).toBe(1);
  });

  it('one smid committed twice → SEQ-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    h.commit(B, m);
    h.wait(GRACE);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['app-duplicate SEQ-3']);
  });

  it('near miss: after lose-state the app may commit the same messages again', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    h.add({ kind: 'misbehave', t: h.t, actor: B, what: 'lose-state' });
    h.close(B, 'crash');
    h.connect(B, { maxSeq: 1, pending: 0 });
    h.sync(B, { before: 2, limit: 10 }, { msgs: [m], more: false });
    h.commit(B, m, { via: 'sync' });
    h.wait(GRACE);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: wire duplicates (re-push of a committed message) are counted, not app duplicates', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    // The re-push crosses the ack (one after ack:A would break PUSH-2).
    h.push(B, m, { attempt: 2 });
    h.add({ kind: 'dedup', t: h.t, actor: B, smid: m.smid!, seq: m.seq, via: 'push' });
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats.wireDuplicates).toBe(1);
    expect(r.stats.appDuplicates).toBe(0);
  });
});

describe('unexpected messages', () => {
  it('committed but never sent by any bot → SEQ-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const ghost = {
      cmid: 'ghost',
      from: 'alice',
      sender: A,
      to: 'bob',
      body: 'x',
      rid: 'r0',
      smid: 's9',
      seq: 1,
    };
    h.push(B, ghost);
    h.commit(B, ghost);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unexpected-message SEQ-3']);
  });

  it('committed with a body other than the one sent → SEQ-3', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.accept(m);
    h.push(B, m, { body: 'tampered' });
    h.commit(B, m, { body: 'tampered' });
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.teardown();
    const r = check(h.events, ctx(h));
    // The ledger judges the commit; the always-on rule body-integrity, the push that carried it.
    expect(summary(r)).toEqual(['assertion SEQ-3', 'unexpected-message SEQ-3']);
    expect(r.findings[1]!.actual).toContain('different body');
  });

  it('near miss: a message from someone outside the case is not judged', () => {
    const h = new H();
    h.connect(B);
    const other = {
      cmid: 'x',
      from: 'carol',
      sender: 'carol/pc',
      to: 'bob',
      body: 'x',
      rid: 'r0',
      smid: 's9',
      seq: 1,
    };
    h.push(B, other);
    h.commit(B, other);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });
});

describe('sends with unknown outcome', () => {
  it('never answered, the sender gave up → unknown-outcome RID-1 (and the silent R itself)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.tick(GRACE + 1);
    h.add({ kind: 'give-up', t: h.t, actor: A, cmid: m.cmid, attempts: 1 });
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r).sort()).toEqual(['unanswered-request RID-1', 'unknown-outcome RID-1']);
    expect(r.stats.unknownOutcome).toBe(1);
  });

  it('a msg:A the fault proxy dropped, the delivered receipt ending the retries → no finding; without the fault → RID-1', () => {
    const run = (dropped: boolean) => {
      const h = new H();
      h.connect(A);
      h.connect(B);
      const m = h.send(A, 'bob');
      if (dropped) {
        h.fault('drop', {
          actor: A,
          frame: { type: 'msg:A', rid: m.rid, cmid: m.cmid, smid: m.smid, ts: 1 },
        });
      }
      h.push(B, m);
      h.commit(B, m);
      h.ack(B, 1);
      h.receipt(A, m, 'delivered');
      h.wait(GRACE);
      h.teardown();
      return summary(check(h.events, ctx(h))).filter((f) => f.startsWith('unknown-outcome'));
    };
    expect(run(true)).toEqual([]);
    expect(run(false)).toEqual(['unknown-outcome RID-1']);
  });

  it('a msg:R in flight when the kit killed the target is excused; one sent after the restart and never answered is RID-1', () => {
    const run = (retryAfterRestart: boolean) => {
      const h = new H();
      h.connect(A);
      h.connect(B);
      const m = h.send(A, 'bob');
      h.target('kill');
      h.close(A, 'network');
      h.close(B, 'network');
      h.target('restart');
      h.connect(A);
      if (retryAfterRestart) h.retransmit(m, 'reconnect');
      h.tick(GRACE + 1);
      h.add({ kind: 'give-up', t: h.t, actor: A, cmid: m.cmid, attempts: retryAfterRestart ? 2 : 1 });
      h.teardown();
      return summary(check(h.events, ctx(h, { expect: { receipt: 'none' } }))).sort();
    };
    expect(run(false)).toEqual([]);
    expect(run(true)).toEqual(['unanswered-request RID-1', 'unknown-outcome RID-1']);
  });

  it('a msg:R sent just after the kill was recorded, on the connection the kill then closed, is excused', () => {
    // The kit records the kill as it sends the signal; the server may take that msg:R and die.
    const run = (sentAfterKill: boolean) => {
      const h = new H();
      h.connect(A);
      h.connect(B);
      if (sentAfterKill) h.target('kill');
      h.tick(0.6);
      const m = h.send(A, 'bob');
      if (!sentAfterKill) h.target('kill');
      h.tick(5);
      h.close(A, 'network');
      h.close(B, 'network');
      h.tick(GRACE + 1);
      h.add({ kind: 'give-up', t: h.t, actor: A, cmid: m.cmid, attempts: 1 });
      h.teardown();
      return summary(check(h.events, ctx(h, { expect: { receipt: 'none' } })));
    };
    expect(run(false)).toEqual([]);
    expect(run(true)).toEqual([]);
  });

  it('answered only with error:A → unknown-outcome MSG-1', () => {
    const h = new H();
    h.connect(A);
    const m = h.send(A, 'bob');
    h.in(A, 'error:A', { rid: m.rid, code: 'internal', message: 'db locked' });
    h.add({ kind: 'give-up', t: h.t, actor: A, cmid: m.cmid, attempts: 1 });
    h.wait(GRACE);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unknown-outcome MSG-1']);
  });

  it('near miss: a server crash between R and A, then a retransmission accepted → no finding', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.target('kill');
    h.close(A, 'network');
    h.close(B, 'network');
    h.target('restart');
    h.tick(200);
    h.connect(A, { lastSeq: 0 });
    h.connect(B, { lastSeq: 0 });
    h.retransmit(m, 'reconnect');
    h.accept(m);
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats.unknownOutcome).toBe(0);
    expect(r.stats.retransmits).toBe(1);
  });

  it('near miss: allAccepted false counts unknown outcomes and recoveries without findings', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    // msg:A lost (the proxy dropped it), yet the message was stored and delivered.
    h.fault('drop', { actor: A, frame: { type: 'msg:A', rid: m.rid } });
    m.smid = 's1';
    m.seq = 1;
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.add({ kind: 'give-up', t: h.t, actor: A, cmid: m.cmid, attempts: 1 });
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h, { expect: { allAccepted: false } }));
    expect(summary(r)).toEqual([]);
    expect(r.stats).toMatchObject({ unknownOutcome: 1, recovered: 1, delivered: 1 });
  });
});
