import { describe, expect, it } from 'vitest';
import { decode } from '../../src/protocol/codec.js';
import { useRig } from './rig.js';

describe('ws proxy actions', () => {
  const rig = useRig();

  it('drop: the 2nd msg:A never reaches the sender, and the fault event names rule, actor, frame and occurrence', async () => {
    const { client, faults, upstream } = await rig([
      { id: 'lose-msg-a', match: { op: 'msg', kind: 'A' }, nth: 2, action: 'drop' },
    ]);
    const a = await client('alice');
    for (let i = 1; i <= 3; i++) a.msg(i);
    await a.waitFor(2);
    const up = await upstream.conn(1);
    await up.waitFor(4);
    expect(a.frames().map((f) => f.cmid)).toEqual(['c1', 'c3']);
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({
      kind: 'fault',
      rule: 'lose-msg-a',
      action: 'drop',
      actor: 'alice/phone',
      layer: 'frame',
      direction: 'to-client',
      type: 'msg:A',
      occurrence: 2,
      conn: 1,
      id: 1,
    });
    expect(JSON.parse(faults[0]!.frame!)).toMatchObject({ type: 'msg:A', cmid: 'c2' });
    expect(typeof faults[0]!.t).toBe('number');
  });

  it('duplicate: msg:R reaches the target 1 + copies times', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'R' }, action: { type: 'duplicate', copies: 2 } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    await up.waitFor(4);
    expect(up.frames().map((f) => f.type)).toEqual(['hello:R', 'msg:R', 'msg:R', 'msg:R']);
    await a.waitFor(3);
    expect(a.frames().every((f) => f.cmid === 'c1')).toBe(true);
  });

  it('delay: a delayed msg:A arrives after a later one, at least `by` later, and the event records the drawn delay', async () => {
    const { client, faults } = await rig([
      { match: { op: 'msg', kind: 'A' }, nth: 1, action: { type: 'delay', by: '150ms', jitter: '20ms' } },
    ]);
    const a = await client('alice');
    const t0 = performance.now();
    a.msg(1);
    a.msg(2);
    await a.waitFor(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    expect(a.frames().map((f) => f.cmid)).toEqual(['c2', 'c1']);
    const ms = faults[0]!.params.ms as number;
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThanOrEqual(170);
  });

  it('reorder: a held msg:R is released after `after` later frames of its direction', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'R' }, nth: 1, action: { type: 'reorder', after: 2 } },
    ]);
    const a = await client('alice');
    for (let i = 1; i <= 4; i++) a.msg(i);
    const up = await upstream.conn(1);
    await up.waitFor(5);
    expect(up.frames().map((f) => f.cmid ?? f.type)).toEqual(['hello:R', 'c2', 'c3', 'c1', 'c4']);
  });

  it('reorder: a held frame is released after maxHold when no later frame comes', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'R' }, action: { type: 'reorder', after: 5, maxHold: '50ms' } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    await up.waitFor(2);
    expect(up.frames()[1]).toMatchObject({ cmid: 'c1' });
  });

  it('corrupt json: the target gets text that is not JSON (FRAME-2 input)', async () => {
    const { client, upstream } = await rig([{ match: { op: 'msg', kind: 'R' }, action: 'corrupt' }]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    await up.waitFor(2);
    const text = up.received[1]!.text;
    expect(() => JSON.parse(text)).toThrow();
    const d = decode(text);
    expect(!d.ok && d.error.wireCode).toBe('bad-json');
  });

  it('corrupt schema: valid JSON whose named member breaks the frame schema (FRAME-3 input)', async () => {
    const { client, upstream, faults } = await rig([
      { match: { op: 'msg', kind: 'R' }, action: { type: 'corrupt', mode: 'schema', field: 'cmid' } },
      { match: { op: 'msg', kind: 'A' }, action: { type: 'corrupt', mode: 'schema' } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    await up.waitFor(2);
    const toServer = decode(up.received[1]!.text);
    expect(toServer.ok).toBe(false);
    expect(!toServer.ok && toServer.error.wireCode).toBe('bad-frame');
    expect(!toServer.ok && toServer.error.message).toMatch(/cmid/);
    // The upstream could not answer a spoiled msg:R with a cmid, so send it a clean one directly.
    up.ws.send(JSON.stringify({ type: 'msg:A', rid: 'r9', cmid: 'c9', smid: 's9', ts: 1 }));
    await a.waitFor(1);
    const toClient = decode(a.received[0]!.text);
    expect(toClient.ok).toBe(false);
    expect(faults[1]!.params).toMatchObject({ mode: 'schema' });
    expect(['rid', 'cmid', 'smid', 'ts']).toContain(faults[1]!.params.field);
  });

  it('cut close: msg:A is forwarded, then both sides are closed with the given code', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'A' }, action: { type: 'cut', code: 4000 } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    expect((await a.closed).code).toBe(4000);
    expect((await up.closed).code).toBe(4000);
    expect(a.frames()).toEqual([expect.objectContaining({ type: 'msg:A', cmid: 'c1' })]);
  });

  it('cut reset: both sides see an abnormal close (1006) and the frame is not forwarded when forward is false', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'A' }, action: { type: 'cut', mode: 'reset', forward: false } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    expect((await a.closed).code).toBe(1006);
    expect((await up.closed).code).toBe(1006);
    expect(a.received).toEqual([]);
  });

  it('cut reset with forward: the frame reaches the client before the reset (frames a tick holds back are sent first)', async () => {
    const { client, upstream } = await rig([
      { match: { op: 'msg', kind: 'A' }, action: { type: 'cut', mode: 'reset' } },
    ]);
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    expect((await a.closed).code).toBe(1006);
    expect((await up.closed).code).toBe(1006);
    expect(a.frames()).toEqual([expect.objectContaining({ type: 'msg:A', cmid: 'c1' })]);
  });

  it('stall: after the trigger nothing passes either way and nothing closes (half-open); swallowed frames are recorded as its consequences', async () => {
    const { client, upstream, faults, faultCount } = await rig([
      { id: 'half-open', match: { op: 'msg', kind: 'R', user: 'bob' }, action: 'stall' },
    ]);
    const b = await client('bob');
    const up = await upstream.conn(1);
    await up.waitFor(1);
    b.msg(1);
    await faultCount(1);
    b.msg(2);
    up.ws.send(JSON.stringify({ type: 'ack:A', rid: 'x', upTo: 0 }));
    await faultCount(3);
    expect(up.received).toHaveLength(1);
    expect(b.received).toHaveLength(0);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
    expect(up.ws.readyState).toBe(up.ws.OPEN);
    expect(faults.map((f) => [f.action, f.direction, f.cause])).toEqual([
      ['stall', 'to-server', undefined],
      ['stall', 'to-server', 1],
      ['stall', 'to-client', 1],
    ]);
  });

  it('stall for a duration: traffic resumes once it is over', async () => {
    const { client, upstream, faultCount } = await rig([
      { match: { op: 'msg', kind: 'R' }, nth: 1, action: { type: 'stall', for: '120ms' } },
    ]);
    const a = await client('alice');
    const up = await upstream.conn(1);
    a.msg(1);
    await faultCount(1);
    const t0 = performance.now();
    // Probe until a frame gets through: the first one that does marks the end of the stall.
    let n = 2;
    const probe = setInterval(() => a.msg(n++), 20);
    try {
      await up.until(() => up.received.length >= 2, 'a frame after the stall');
    } finally {
      clearInterval(probe);
    }
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
