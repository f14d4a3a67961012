/**
 * The framed TCP proxy on a protocol that is not RAN/1: binary-im's length-prefixed protobuf,
 * cut and classified by the codec its driver exports. Per-frame rules select by op, kind and
 * user exactly as they do for RAN/1 over WebSocket; the proxy records the frame's ids for the
 * checker; bytes it cannot frame are relayed untouched.
 */

import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DriverSession } from '../../src/drivers/driver.js';
import { type LoadedDriver, loadDriver } from '../../src/drivers/load.js';
import { TimeoutError } from '../../src/errors.js';
import { type FrameProxy, startFrameProxy } from '../../src/faults/frame-proxy.js';
import { createRng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { BINARY_IM_DRIVER, type BinaryIm, startBinaryIm } from '../helpers/binary-im.js';

const SECRET = 'frame-proxy-secret';
let server: BinaryIm;
let bim: LoadedDriver;
let proxy: FrameProxy | undefined;
const sessions: DriverSession[] = [];
let n = 0;

beforeAll(async () => {
  [server, bim] = await Promise.all([startBinaryIm(SECRET), loadDriver(BINARY_IM_DRIVER)]);
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const s of sessions.splice(0)) {
    s.abort();
    await s.closed;
  }
  await proxy?.close();
  proxy = undefined;
});

async function through(rules: unknown[], history: History) {
  proxy = await startFrameProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    codec: bim.codec!,
    rules: resolveFaultRules(rules),
    rng: createRng(5),
    history,
  });
  const driver = bim.create({ target: `tcp://127.0.0.1:${proxy.port}` });
  const prefix = `p${++n}-`;
  const login = async (who: string) => {
    const user = `${prefix}${who}`;
    const s = await driver.connect(
      `${user}/d1`,
      { user, device: 'd1', token: hmacToken(SECRET, user), lastSeq: 0 },
      history,
    );
    sessions.push(s);
    return s;
  };
  return { login, user: (who: string) => `${prefix}${who}` };
}

describe('the framed TCP proxy with the binary-im codec', () => {
  it("drops alice's 2nd msg:A and records it with the message's ids", async () => {
    const history = new History();
    const { login, user } = await through(
      [
        {
          id: 'lose-2nd-accept',
          match: { op: 'msg', kind: 'A', user: ['p1-alice'] },
          nth: 2,
          action: 'drop',
        },
      ],
      history,
    );
    expect(user('alice')).toBe('p1-alice');
    const alice = await login('alice');
    const first = await alice.send({ cmid: 'm1', to: user('bob'), body: 'one' });
    expect(first.dup).toBe(false);
    await expect(alice.send({ cmid: 'm2', to: user('bob'), body: 'two' }, 400)).rejects.toBeInstanceOf(
      TimeoutError,
    );
    // The retransmission gets through and is answered as the duplicate it is (DEDUP-1).
    const again = await alice.send({ cmid: 'm2', to: user('bob'), body: 'two' });
    expect(again.dup).toBe(true);
    expect(proxy!.events).toHaveLength(1);
    const fault = proxy!.events[0]!;
    expect(fault).toMatchObject({ rule: 'lose-2nd-accept', action: 'drop', type: 'msg:A', occurrence: 2 });
    expect(fault.actor).toBe('p1-alice/d1');
    expect(JSON.parse(fault.frame!)).toMatchObject({ type: 'msg:A', cmid: 'm2', rid: '3' });
    expect(proxy!.stats.toServer).toBeGreaterThanOrEqual(4);
  });

  it('duplicates pushes: the copy reaches the driver as a second msg:N with the same smid', async () => {
    const history = new History();
    const { login, user } = await through(
      [{ match: { op: 'msg', kind: 'N' }, action: 'duplicate' }],
      history,
    );
    const bob = await login('bob');
    const alice = await login('alice');
    const pushes: string[] = [];
    bob.onNotification((x) => {
      if (x.type === 'msg:N') pushes.push(x.msg.smid);
    });
    const accepted = await alice.send({ cmid: 'd1', to: user('bob'), body: 'hello' });
    await expect.poll(() => pushes.length).toBe(2);
    expect(pushes).toEqual([accepted.smid, accepted.smid]);
    const frames = history.events.filter(
      (e): e is FrameEvent => e.kind === 'frame' && e.type === 'msg:N' && e.actor === `${user('bob')}/d1`,
    );
    expect(frames.map((f) => f.fields['smid'])).toEqual([accepted.smid, accepted.smid]);
  });

  it('corrupts a Send so it still decodes but breaks a rule: the server refuses it', async () => {
    const history = new History();
    const { login, user } = await through(
      [{ match: { op: 'msg', kind: 'R' }, nth: 1, action: { type: 'corrupt', mode: 'schema', field: 'to' } }],
      history,
    );
    const alice = await login('alice');
    await expect(alice.send({ cmid: 'x1', to: user('bob'), body: 'b' })).rejects.toMatchObject({
      wireCode: 'bad-frame',
    });
    expect(proxy!.events[0]).toMatchObject({ action: 'corrupt', params: { mode: 'schema', field: 'to' } });
  });

  it('cut reset with forward: the Accept reaches the driver before the reset', async () => {
    const history = new History();
    const { login, user } = await through(
      [{ match: { op: 'msg', kind: 'A' }, action: { type: 'cut', mode: 'reset' } }],
      history,
    );
    const alice = await login('alice');
    const accepted = await alice.send({ cmid: 'r1', to: user('bob'), body: 'b' });
    expect(accepted.dup).toBe(false);
    await alice.closed;
    expect(proxy!.events).toEqual([expect.objectContaining({ action: 'cut', type: 'msg:A' })]);
  });

  it('relays bytes it cannot frame untouched, counted as undecodable', async () => {
    const history = new History();
    await through([{ match: { op: 'msg' }, action: 'drop' }], history);
    const socket = connect({ host: '127.0.0.1', port: proxy!.port });
    await once(socket, 'connect');
    const answered = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    // A length prefix of 4 GiB: no codec can frame that; the server must see it and refuse it.
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    const reply = await answered;
    expect(reply.readUInt32BE(0)).toBe(reply.length - 4);
    expect(proxy!.stats.undecodable).toBe(1);
    socket.destroy();
  });
});
