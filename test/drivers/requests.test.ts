import { describe, expect, it } from 'vitest';
import { Requests, type Sink } from '../../src/drivers/ran/requests.js';
import { TimeoutError } from '../../src/errors.js';
import type { FrameEvent } from '../../src/history/events.js';

const msgA = (rid: string): FrameEvent => ({
  kind: 'frame',
  t: 0,
  actor: 'alice/phone',
  conn: 1,
  dir: 'in',
  type: 'msg:A',
  fields: { type: 'msg:A', rid, cmid: `c-${rid}`, smid: `s-${rid}`, ts: 1 },
  raw: '',
});

/** A sink that writes each outcome as `ctx accepted cmid` or `ctx failed ErrorName`. */
function recording(outcomes: string[]): Sink {
  return {
    accepted: (ctx, value) => outcomes.push(`${ctx} accepted ${(value as { cmid: string }).cmid}`),
    failed: (ctx, error) => outcomes.push(`${ctx} failed ${error.name}`),
  };
}

const identity = (f: unknown) => f;

describe('Requests', () => {
  it('never times out a request with the deadline of an earlier, settled one', async () => {
    const requests = new Requests();
    const outcomes: string[] = [];
    const sink = recording(outcomes);
    // r1 is answered at once; r2, asked right after with a long deadline, may take over what r1
    // used. r1's short deadline still passes (before r3's), and must not touch r2.
    requests.waitWith('r1', 'msg:A', 'msg:R', 'c-r1', 10, identity, sink, 'r1');
    expect(requests.settle(msgA('r1'))).toBe(true);
    requests.waitWith('r2', 'msg:A', 'msg:R', 'c-r2', 60_000, identity, sink, 'r2');
    const r3 = requests.wait('r3', 'msg:A', 'msg:R', 'c-r3', 30);
    await expect(r3).rejects.toBeInstanceOf(TimeoutError);
    expect(requests.size).toBe(1);
    expect(requests.settle(msgA('r2'))).toBe(true);
    expect(outcomes).toEqual(['r1 accepted c-r1', 'r2 accepted c-r2']);
  });
});

describe('Requests: an answer shares the ids it repeats from its request', () => {
  it('keeps what the server sent where it differs from the request', () => {
    const requests = new Requests();
    const got: unknown[] = [];
    const sink: Sink = { accepted: (_ctx, value) => got.push(value), failed: () => {} };
    const sent = { type: 'msg:R', rid: 'r1', cmid: 'c-1', to: 'bob', body: 'hi' } as const;
    requests.waitWith('r1', 'msg:A', 'msg:R', 'c-1', 1000, identity, sink, 'x', sent);
    const answer = msgA('r1');
    answer.fields.cmid = 'c-other';
    expect(requests.settle(answer)).toBe(true);
    expect(answer.fields).toEqual({ type: 'msg:A', rid: 'r1', cmid: 'c-other', smid: 's-r1', ts: 1 });
    const sent2 = { type: 'msg:R', rid: 'r2', cmid: 'c-r2', to: 'bob', body: 'hi' } as const;
    requests.waitWith('r2', 'msg:A', 'msg:R', 'c-r2', 1000, identity, sink, 'x', sent2);
    const same = msgA('r2');
    expect(requests.settle(same)).toBe(true);
    expect(same.fields).toEqual({ type: 'msg:A', rid: 'r2', cmid: 'c-r2', smid: 's-r2', ts: 1 });
    expect(got).toEqual([answer.fields, same.fields]);
  });
});

// One waiter is kept without a map, a second makes one (requests.ts `one`): every path must
// answer the right request — alone, out of order with others, after a timeout, at the close.
describe('Requests: one waiter, then several', () => {
  it('answers each request by rid, whether it waited alone or beside others', async () => {
    const requests = new Requests();
    const outcomes: string[] = [];
    const sink = recording(outcomes);
    const ask = (rid: string, timeoutMs = 60_000) =>
      requests.waitWith(rid, 'msg:A', 'msg:R', `c-${rid}`, timeoutMs, identity, sink, rid);
    ask('r1');
    expect(requests.settle(msgA('r9'))).toBe(false);
    expect(requests.settle(msgA('r1'))).toBe(true);
    expect(requests.settle(msgA('r1'))).toBe(false);
    ask('r2');
    ask('r3');
    ask('r4', 10);
    expect(requests.size).toBe(3);
    expect(requests.settle(msgA('r3'))).toBe(true);
    await new Promise((r) => setTimeout(r, 40));
    expect(requests.size).toBe(1);
    ask('r5');
    expect(requests.settle(msgA('r5'))).toBe(true);
    requests.close({ code: undefined, reason: '', initiator: 'network' });
    expect(requests.size).toBe(0);
    expect(outcomes).toEqual([
      'r1 accepted c-r1',
      'r3 accepted c-r3',
      'r4 failed TimeoutError',
      'r5 accepted c-r5',
      'r2 failed ConnectionClosedError',
    ]);
  });
});
