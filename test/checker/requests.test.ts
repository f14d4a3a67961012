/**
 * Requests and answers from literal histories: silence (RID-1) judged against how long the
 * connection stayed open and what crashed or was injected, second and unknown answers (RID-2),
 * answers nobody asked for (FRAME-7), and invalid frames from the server (FRAME-4).
 */

import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import type { CloseEvent } from '../../src/history/events.js';
import { ctx, GRACE, H, summary } from './fixtures.js';

const A = 'alice/phone';

function opened(): H {
  const h = new H();
  h.connect(A);
  return h;
}

describe('RID-1: every R gets an A', () => {
  it('a ping:R never answered while the connection stayed open → RID-1', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['unanswered-request RID-1']);
    expect(r.findings[0]!.expected).toContain(rid);
    expect(r.stats.unanswered).toBe(1);
  });

  // A request far behind the newest (requests.ts MAX_QUEUE_LAG, 256) leaves the queue for the
  // connection's stale list: still judged at the end, still matched by a late answer.
  for (const late of [false, true]) {
    it(`a ping:R left behind by 300 answered ones → ${late ? 'its late answer settles it' : 'RID-1'}`, () => {
      const h = opened();
      const first = h.request(A, 'ping:R');
      for (let i = 0; i < 300; i++) h.in(A, 'ping:A', { rid: h.request(A, 'ping:R'), serverTime: i });
      if (late) h.in(A, 'ping:A', { rid: first, serverTime: 1 });
      h.wait(GRACE + 100);
      h.teardown();
      const r = check(h.events, ctx(h));
      expect(summary(r)).toEqual(late ? [] : ['unanswered-request RID-1']);
      expect(r.stats.unanswered).toBe(late ? 0 : 1);
    });
  }

  it('near miss: the connection closed soon after the request (counted, not a finding)', () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.tick(50);
    h.close(A, 'network');
    h.wait(GRACE + 100);
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats.unanswered).toBe(1);
  });

  it('near miss: the case ended right after the request', () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: the server was killed between R and A (unknown outcome, not a violation)', () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.tick(10);
    h.target('kill');
    h.wait(GRACE + 100);
    h.close(A, 'network');
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: the proxy dropped that very request — but not a drop of another one', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.fault('drop', { actor: A, frame: { type: 'ping:R', rid } });
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);

    const g = opened();
    g.request(A, 'ping:R');
    g.fault('drop', { actor: A, frame: { type: 'ping:R', rid: 'other' } });
    g.wait(GRACE + 100);
    g.teardown();
    expect(summary(check(g.events, ctx(g)))).toEqual(['unanswered-request RID-1']);
  });

  it('near miss: a malformed probe (recorded invalid) is the probe step’s business', () => {
    const h = opened();
    h.out(A, undefined, { rid: 'p1' }, 'frame is not valid JSON');
    h.wait(GRACE + 100);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });
});

describe('RID-1: a server that closes instead of answering', () => {
  /** A ping:R, then the server's close with `code` 1 ms later, long before the grace. */
  function closedOn(code: number | undefined, initiator: CloseEvent['initiator'] = 'server') {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    const request = h.events.length - 1;
    h.tick(1);
    const close = h.close(A, initiator, code);
    return { h, rid, request, close };
  }

  it('a close with a code RAN/1 does not give the server → RID-1 at once, naming the request and the close', () => {
    const { h, rid, request, close } = closedOn(4999);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['unanswered-request RID-1']);
    expect(r.findings[0]!.expected).toContain(rid);
    expect(r.findings[0]!.actual).toContain('the server closed the connection with code 4999 instead');
    expect(r.findings[0]!.evidence).toEqual([request, close]);
    // 1000 and 1011 are WebSocket codes too, and RAN/1 gives the server neither.
    for (const code of [1000, 1011]) {
      const c = closedOn(code);
      c.h.teardown();
      expect(summary(check(c.h.events, ctx(c.h))), `code ${code}`).toEqual(['unanswered-request RID-1']);
    }
  });

  it('near miss: a close RAN/1 gives the server (idle, shutdown, a refused message, auth) may cross the request', () => {
    for (const code of [1001, 1003, 1009, 4401, 4408]) {
      const { h } = closedOn(code);
      h.teardown();
      expect(summary(check(h.events, ctx(h))), `code ${code}`).toEqual([]);
    }
  });

  it('4409 (replaced) with no newer session of the user and device → RID-1 at once: the code is misused', () => {
    const { h } = closedOn(4409);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['unanswered-request RID-1']);
    expect(r.findings[0]!.actual).toContain('the server closed the connection with code 4409 instead');
  });

  it('near miss: 4409 after a newer session of the same user and device logged in may cross the request', () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.tick(1);
    h.connect(A);
    h.close(A, 'server', 4409, 1);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it("near miss: not the server's close (the kit's bot closed it, or crashed), or no code to go by (a close frame without one, a dropped socket, an MQTT reason code)", () => {
    for (const [code, initiator] of [
      [undefined, 'server'],
      [undefined, 'network'],
      [142, 'server'],
      [1000, 'client'],
      [undefined, 'crash'],
    ] as const) {
      const { h } = closedOn(code, initiator);
      h.teardown();
      expect(summary(check(h.events, ctx(h))), `${initiator} ${code}`).toEqual([]);
    }
  });

  it("near miss: the kit's proxy cut the connection after the request, at another frame", () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.fault('cut', { actor: A, frame: { type: 'msg:N', smid: 's1' } });
    h.close(A, 'server', 4999);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: the target was killed, or the request was recorded after the close', () => {
    const h = opened();
    h.request(A, 'ping:R');
    h.target('term');
    h.close(A, 'server', 4999);
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);

    const g = opened();
    g.close(A, 'server', 4999);
    g.request(A, 'ping:R');
    g.teardown();
    expect(summary(check(g.events, ctx(g)))).toEqual([]);
  });
});

describe('RID-2 and FRAME-7: no answer that was not asked for', () => {
  it('a second answer to one request → RID-2', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.in(A, 'ping:A', { rid, serverTime: 1 });
    h.in(A, 'ping:A', { rid, serverTime: 2 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['doubly-answered-request RID-2']);
  });

  it('near miss: the proxy duplicated the answer', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.fault('duplicate', { actor: A, frame: { type: 'ping:A', rid } });
    h.in(A, 'ping:A', { rid, serverTime: 1 });
    h.in(A, 'ping:A', { rid, serverTime: 1 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('near miss: a reused rid gets one answer per request', () => {
    const h = opened();
    h.out(A, 'ping:R', { rid: 'same' });
    h.in(A, 'ping:A', { rid: 'same', serverTime: 1 });
    h.out(A, 'ping:R', { rid: 'same' });
    h.in(A, 'ping:A', { rid: 'same', serverTime: 2 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('an answer with a rid never sent on this connection → RID-2', () => {
    const h = opened();
    h.in(A, 'ping:A', { rid: 'nobody', serverTime: 1 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unsolicited-answer RID-2']);
  });

  it('an A of another op for a rid → FRAME-7', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.in(A, 'ack:A', { rid, upTo: 0 });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unsolicited-answer FRAME-7']);
  });

  it('error:A with rid null when nothing unreadable was sent → FRAME-7; after a probe it is expected', () => {
    const h = opened();
    h.in(A, 'error:A', { rid: null, code: 'bad-json', message: 'x' });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unsolicited-answer FRAME-7']);

    const g = opened();
    g.out(A, undefined, {}, 'frame is not valid JSON');
    g.in(A, 'error:A', { rid: null, code: 'bad-json', message: 'x' });
    g.teardown();
    expect(summary(check(g.events, ctx(g)))).toEqual([]);
  });

  it('error:A answers any request (with its rid)', () => {
    const h = opened();
    const rid = h.request(A, 'ack:R', { upTo: 99 });
    h.in(A, 'error:A', { rid, code: 'bad-ack', message: 'upTo 99 above maxSeq 0' });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual([]);
  });

  it('the server sending an R frame → FRAME-7', () => {
    const h = opened();
    h.in(A, 'ping:R', { rid: 'x' });
    h.teardown();
    expect(summary(check(h.events, ctx(h)))).toEqual(['unsolicited-answer FRAME-7']);
  });
});

describe('FRAME-4: every frame the server sends validates', () => {
  it('an inbound frame recorded invalid → FRAME-4 with what was wrong; it still answers its request', () => {
    const h = opened();
    const rid = h.request(A, 'ping:R');
    h.in(A, 'ping:A', { rid, serverTime: 1, extra: true }, 'ping:A: unknown member "extra"');
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['schema-violation FRAME-4']);
    expect(r.findings[0]!.actual).toContain('unknown member "extra"');
    expect(r.stats.schemaViolations).toBe(1);
  });

  it('an invalid receipt is still the receipt the server sent: FRAME-4, not a missing RCPT-2', () => {
    const h = new H();
    h.connect(A);
    h.connect('bob/phone');
    const m = h.deliver(A, ['bob/phone'], { receipt: false });
    h.in(
      A,
      'ack:N',
      { cmid: m.cmid, smid: m.smid, to: 'bob', status: 'delivered', ts: 1, extra: 1 },
      'ack:N: unknown member "extra"',
    );
    h.wait(GRACE + 100);
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual(['schema-violation FRAME-4']);
    expect(r.stats.receiptsDelivered).toBe(1);
  });

  it('near miss: the proxy corrupted a frame to this client', () => {
    const h = opened();
    h.fault('corrupt', { actor: A, frame: { type: 'ping:A', rid: 'r9' } });
    h.in(A, undefined, {}, 'frame is not valid JSON');
    h.teardown();
    const r = check(h.events, ctx(h));
    expect(summary(r)).toEqual([]);
    expect(r.stats.schemaViolations).toBe(1);
  });

  it('near miss: a malformed frame the client sent (a probe) is not the server’s', () => {
    const h = opened();
    h.out(A, undefined, {}, 'frame is not valid JSON');
    h.teardown();
    expect(check(h.events, ctx(h)).stats.schemaViolations).toBe(0);
  });
});
