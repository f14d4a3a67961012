/**
 * Preconditions judged from literal histories: accepted (all, or a count) and acceptedOffline.
 * Unmet ones are reported apart from findings, with the numbers and the events behind them.
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import type { Precondition } from '../../src/scenarios/types.js';
import { ctx, GRACE, H } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';
const pre = (kind: Precondition['kind'], atLeast: Precondition['atLeast']): Precondition => ({
  kind,
  atLeast,
  from: 'preconditions',
});

/** Two messages delivered while bob is online, then one accepted after he left. */
function history(): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  h.deliver(A, [B]);
  h.deliver(A, [B]);
  h.close(B, 'client');
  h.tick(1000);
  const m = h.send(A, 'bob');
  h.accept(m);
  h.receipt(A, m, 'stored');
  h.wait(GRACE);
  h.teardown();
  return h;
}

describe('preconditions', () => {
  it('acceptedOffline counts the messages accepted while no device of the receiver was connected', () => {
    const h = history();
    const judge = (p: Precondition) =>
      check(h.events, ctx(h, { expect: { receipt: 'any' }, preconditions: [p] })).unmet;
    expect(judge(pre('acceptedOffline', 1))).toEqual([]);
    const [all] = judge(pre('acceptedOffline', 'all'));
    expect(all).toMatchObject({
      precondition: 'acceptedOffline',
      actual: expect.stringMatching(/^1 of 3 accepted/),
    });
    expect(all!.evidence).toHaveLength(2);
    expect(judge(pre('acceptedOffline', 2))[0]?.expected).toBe(
      'at least 2 messages accepted while the receiver had no device connected (stored offline)',
    );
  });

  it('accepted counts sends that got a msg:A; unmet ones name the cmids never accepted', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.deliver(A, [B]);
    const lost = h.send(A, 'bob');
    h.fault('drop', { actor: A, frame: { type: 'msg:R', rid: lost.rid, cmid: lost.cmid } });
    h.add({ kind: 'give-up', t: h.t, actor: A, cmid: lost.cmid, attempts: 1 });
    h.wait(GRACE);
    h.teardown();
    const r = check(h.events, ctx(h, { preconditions: [pre('accepted', 'all'), pre('accepted', 1)] }));
    // The lost msg:R explains the silence: no finding against the server, but the case is short.
    expect(r.findings).toEqual([]);
    expect(r.unmet).toEqual([
      {
        precondition: 'accepted',
        expected: 'every message sent accepted (msg:A, a receipt or a commit)',
        actual: `1 of 2 accepted; never accepted: cmid ${lost.cmid}`,
        evidence: [expect.any(Number)],
      },
    ]);
  });

  it('counts a message whose msg:A was lost as accepted when its receipt or commit shows the server took it', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.send(A, 'bob');
    h.fault('drop', { actor: A, frame: { type: 'msg:A', rid: m.rid, cmid: m.cmid } });
    m.smid = 's1';
    m.seq = 1;
    h.push(B, m);
    h.commit(B, m);
    h.ack(B, 1);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    expect(check(h.events, ctx(h, { preconditions: [pre('accepted', 'all')] })).unmet).toEqual([]);
  });
});
