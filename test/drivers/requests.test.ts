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

describe('Requests', () => {
  it('never times out a request with the deadline of an earlier, settled one', async () => {
    const requests = new Requests();
    const outcomes: string[] = [];
    const sink: Sink = {
      accepted: (ctx, value) => outcomes.push(`${ctx} accepted ${(value as { cmid: string }).cmid}`),
      failed: (ctx, error) => outcomes.push(`${ctx} failed ${error.name}`),
    };
    const identity = (f: unknown) => f;
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
