import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';
import { useRig } from './rig.js';

describe('ws proxy selectors on live connections', () => {
  const rig = useRig();

  it('user: learned from hello:R per connection; only bob’s msg:R are dropped', async () => {
    const { client, upstream } = await rig([
      { match: { user: 'bob', op: 'msg', kind: 'R' }, action: 'drop' },
    ]);
    const a = await client('alice');
    const b = await client('bob');
    a.msg(1);
    b.msg(2);
    a.msg(3);
    await a.waitFor(2);
    const [upA, upB] = [await upstream.conn(1), await upstream.conn(2)];
    expect(upA.frames().map((f) => f.type)).toEqual(['hello:R', 'msg:R', 'msg:R']);
    expect(upB.frames().map((f) => f.type)).toEqual(['hello:R']);
    expect(b.received).toEqual([]);
  });

  it('a reconnecting actor gets the next connection number in its fault events', async () => {
    const { client, faults, faultCount } = await rig([{ match: { op: 'msg', kind: 'R' }, action: 'drop' }]);
    const first = await client('alice');
    first.msg(1);
    await faultCount(1);
    first.ws.close();
    await first.closed;
    const second = await client('alice');
    second.msg(2);
    await faultCount(2);
    expect(faults.map((f) => [f.actor, f.conn, f.occurrence])).toEqual([
      ['alice/phone', 1, 1],
      ['alice/phone', 2, 2],
    ]);
  });

  it('step window: the runner’s setStep switches a rule on and off; setActive overrides it', async () => {
    const { client, proxy, upstream, faultCount } = await rig([
      { id: 'w', match: { op: 'msg', kind: 'R' }, from: 1, until: 2, action: 'drop' },
    ]);
    const a = await client('alice');
    const up = await upstream.conn(1);
    // Each frame is let through (its msg:A arrives) or dropped (a fault event) before the next step.
    a.msg(1); // step 0: passes
    await a.waitFor(1);
    proxy.setStep(1);
    a.msg(2); // dropped
    await faultCount(1);
    proxy.setStep(2);
    a.msg(3); // passes
    await a.waitFor(2);
    proxy.setActive('w', true);
    a.msg(4); // forced on: dropped
    await faultCount(2);
    proxy.setActive('w', undefined);
    a.msg(5); // back to the window (step 2): passes
    await a.waitFor(3);
    expect(up.frames().map((f) => f.cmid ?? f.type)).toEqual(['hello:R', 'c1', 'c3', 'c5']);
    expect(() => proxy.setActive('nope', true)).toThrow(ConfigError);
  });

  it('time window and History: events carry the history clock and are appended to it', async () => {
    const history = new History();
    const { client, upstream, faultCount } = await rig(
      [
        { id: 'later', match: { op: 'msg', kind: 'R' }, from: '10m', action: 'drop' },
        { id: 'now', match: { op: 'msg', kind: 'A' }, until: '10m', action: 'drop' },
      ],
      { history },
    );
    const a = await client('alice');
    a.msg(1);
    const up = await upstream.conn(1);
    await up.waitFor(2);
    await faultCount(1);
    const faults = history.events.filter((e) => e.kind === 'fault');
    expect(faults).toEqual([expect.objectContaining({ rule: 'now', action: 'drop', type: 'msg:A' })]);
    expect(faults[0]!.t).toBeLessThan(history.now());
  });
});
