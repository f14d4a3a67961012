/**
 * The always-on rules inside the checker's engine: check() and the streaming ledger report their
 * findings through the run's sink (evidence indexes, caps), and a streaming ledger that forgot a
 * settled message does not read the forgotten send as "never sent".
 */

import { describe, expect, it } from 'vitest';
import { ALWAYS_ON_RULES } from '../../src/checker/always-on/index.js';
import { MessageIndex } from '../../src/checker/always-on/message-index.js';
import { check } from '../../src/checker/check.js';
import { StreamingLedger } from '../../src/checker/streaming.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { CAPS } from '../../src/protocol/frames.js';
import { ctx, GRACE, H, summary } from './fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** A message whose push carries emoji turned into U+FFFD, as a 3-byte utf8 column stores them. */
function mangled(): { h: H; sendIdx: number; pushIdx: number } {
  const h = new H();
  h.connect(A);
  h.connect(B);
  const sendIdx = h.next;
  const m = h.send(A, 'bob', { body: 'hi 😀' });
  h.accept(m);
  const pushIdx = h.push(B, m, { body: 'hi \uFFFD' });
  h.ack(B, m.seq!);
  h.receipt(A, m, 'delivered');
  h.wait(GRACE);
  h.teardown();
  return { h, sendIdx, pushIdx };
}

function streamed(h: H, retireAt?: { after: number; now: number }) {
  const c = ctx(h);
  const ledger = new StreamingLedger({ ...c, covers: [] });
  h.events.forEach((e, i) => {
    ledger.push(e);
    if (retireAt !== undefined && i === retireAt.after) ledger.retire(retireAt.now);
  });
  return ledger.finish(h.t);
}

describe('always-on rules in the engine', () => {
  it('check() reports them with the evidence indexes of the frames that prove them', () => {
    const { h, sendIdx, pushIdx } = mangled();
    const r = check(h.events, ctx(h));
    const body = r.findings.find((f) => f.kind === 'assertion' && f.requirement === 'SEQ-3');
    expect(body?.evidence).toEqual([sendIdx, pushIdx]);
    expect(body?.actual).toContain('(6 bytes)');
  });

  it('drops findings against a cap the server does not claim (SEQ-4 needs prev-seq)', () => {
    const build = () => {
      const h = new H();
      h.connect(B);
      h.in(B, 'msg:N', { smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'x', seq: 1, ts: 1 });
      h.teardown();
      return h;
    };
    const claimed = check(build().events, ctx(build(), { expect: { receipt: 'none' } }));
    expect(summary(claimed)).toContain('assertion SEQ-4');
    const h = build();
    const unclaimed = check(
      h.events,
      ctx(h, { caps: CAPS.filter((c) => c !== 'prev-seq'), expect: { receipt: 'none' } }),
    );
    expect(summary(unclaimed)).not.toContain('assertion SEQ-4');
  });

  it('the streaming ledger reports them with copies of their evidence events', () => {
    const { h } = mangled();
    const r = streamed(h);
    const body = r.findings.find((f) => f.kind === 'assertion' && f.requirement === 'SEQ-3');
    expect(body?.events.map((e: HistoryEvent) => e.kind)).toEqual(['send', 'frame']);
  });

  it('a late receipt of a message the streaming ledger forgot is not a stranger’s (RCPT-2)', () => {
    const h = new H();
    h.connect(A);
    h.connect(B);
    const m = h.deliver(A, [B]);
    const settledAt = h.next - 1;
    h.wait(10 * GRACE);
    // The server sends the receipt again (say, after a dup msg:R): the sender did send that cmid.
    h.receipt(A, m, 'delivered');
    h.teardown();
    const late = streamed(h, { after: settledAt + 1, now: h.t });
    expect(late.findings.map((f) => f.requirement)).not.toContain('RCPT-2');
    // Near miss: a receipt for a cmid the user never sent is still one.
    const s = new H();
    s.connect(A);
    s.in(A, 'ack:N', { cmid: 'never', smid: 's9', to: 'bob', status: 'delivered', ts: 1 });
    s.teardown();
    expect(streamed(s).findings.map((f) => f.requirement)).toContain('RCPT-2');
  });
});

describe('push-addressee (PUSH-3) in both checkers', () => {
  /** Bob's message pushed to bob and, as the push-by-device-name fault does, to carol's phone too. */
  function leaked(): { h: H; requestIdx: number; leakIdx: number } {
    const h = new H();
    h.connect(A);
    h.connect(B);
    h.connect('carol/phone');
    const m = h.send(A, 'bob');
    const requestIdx = h.next - 1;
    h.accept(m);
    h.push(B, m);
    const leakIdx = h.push('carol/phone', m);
    h.commit(B, m);
    h.ack(B, m.seq!);
    h.receipt(A, m, 'delivered');
    h.wait(GRACE);
    h.teardown();
    return { h, requestIdx, leakIdx };
  }

  it('check() names the msg:R and the push that reached another user', () => {
    const { h, requestIdx, leakIdx } = leaked();
    const leak = check(h.events, ctx(h)).findings.filter((f) => f.requirement === 'PUSH-3');
    expect(leak.map((f) => f.evidence)).toEqual([[requestIdx, leakIdx]]);
    expect(leak[0]!.level).toBe('MUST');
  });

  it('the streaming ledger of imspec load reports it too, with copies of both frames', () => {
    const { h } = leaked();
    const leak = streamed(h).findings.filter((f) => f.requirement === 'PUSH-3');
    expect(
      leak.map((f) => f.events.map((e: HistoryEvent) => (e.kind === 'frame' ? e.type : e.kind))),
    ).toEqual([['msg:R', 'msg:N']]);
  });
});

describe('always-on judges across runs', () => {
  // V8 keeps optimized code per function: closures made by each run's start() were new functions,
  // recompiled on every check() after a full collection; one run's judge must share its methods
  // with the next's.
  it('gives every run of a rule the same event and forget functions', () => {
    for (const rule of ALWAYS_ON_RULES) {
      const one = rule.start(
        () => {},
        () => undefined as never,
        new MessageIndex(),
      );
      const two = rule.start(
        () => {},
        () => undefined as never,
        new MessageIndex(),
      );
      expect(one.event, rule.name).toBe(two.event);
      expect(one.forget, rule.name).toBe(two.forget);
    }
  });
});
