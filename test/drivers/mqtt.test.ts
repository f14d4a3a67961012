/**
 * The MQTT driver against a real Mosquitto (Debian 2.0.x) on loopback: the R/A/N mapping, offline
 * queueing through persistent sessions (OFF-1), redelivery with DUP after a crash before the ack,
 * replay of an unacknowledged PUBLISH after a reconnect, and the silent queue overflow — plus the
 * shared driver contract.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DriverSession, Notification } from '../../src/drivers/driver.js';
import { createDriver } from '../../src/drivers/index.js';
import { MQTT_CAPS, MqttDriver, type MqttDriverOptions } from '../../src/drivers/mqtt/index.js';
import { AuthError, TargetUnreachableError, UnsupportedError } from '../../src/errors.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import { type MosquittoServer, startMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { defineDriverContract } from './contract.js';

defineDriverContract('mqtt', MQTT_CAPS, async () => {
  const broker = await startMosquitto({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
  return {
    driver: createDriver('mqtt', { target: broker.url }),
    tokens: { alice: 'alice-pw', bob: 'bob-pw' },
    teardown: () => broker.dispose(),
  };
});

type Msg = Extract<Notification, { type: 'msg:N' }>;

/** Collects a session's pushes; `take(n)` resolves once n have arrived. */
function inbox(session: DriverSession) {
  const msgs: Msg[] = [];
  let wake: () => void = () => {};
  session.onNotification((n) => {
    if (n.type !== 'msg:N') return;
    msgs.push(n);
    wake();
  });
  return {
    msgs,
    take(n: number, timeoutMs = 5000): Promise<Msg[]> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${msgs.length} of ${n} messages within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = (): void => {
          if (msgs.length < n) return;
          clearTimeout(timer);
          resolve(msgs.slice(0, n));
        };
        wake = check;
        check();
      });
    },
  };
}

const frames = (history: History, actor: string, type?: string): FrameEvent[] =>
  history.events.filter(
    (e): e is FrameEvent =>
      e.kind === 'frame' && e.actor === actor && (type === undefined || e.type === type),
  );

describe('mqtt driver on Mosquitto', () => {
  let broker: MosquittoServer;
  let history: History;
  const open: DriverSession[] = [];
  let n = 0;
  /** Fresh user names per test, so one test's broker sessions never feed another's. */
  const users = () => {
    n++;
    return { a: `a${n}`, b: `b${n}` };
  };

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.dispose();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) {
      s.abort();
      await s.closed;
    }
  });

  function driver(options: Partial<MqttDriverOptions> = {}, url = broker.url): MqttDriver {
    return new MqttDriver({ target: url, ...options });
  }
  async function login(d: MqttDriver, user: string, device = 'd1'): Promise<DriverSession> {
    const s = await d.connect(`${user}/${device}`, { user, device, token: 'x', timeoutMs: 5000 }, history);
    open.push(s);
    return s;
  }

  beforeEach(() => {
    history = new History();
  });

  for (const variant of [
    { version: 5, qos: 1, cmid: 'payload' },
    { version: 5, qos: 2, cmid: 'property' },
    { version: 4, qos: 1, cmid: 'payload' },
    { version: 4, qos: 2, cmid: 'payload' },
  ] as const) {
    it(`maps PUBLISH/PUBACK onto msg:R, msg:A, msg:N and ack:R (MQTT ${variant.version === 5 ? '5' : '3.1.1'}, QoS ${variant.qos}, cmid in ${variant.cmid})`, async () => {
      const d = driver(variant);
      const { a, b } = users();
      const bob = await login(d, b);
      const got = inbox(bob);
      const alice = await login(d, a);
      const accepted = await alice.send({ cmid: 'c1', to: b, body: 'hello' });
      expect(accepted).toMatchObject({ cmid: 'c1', smid: `${a}/c1`, dup: false });
      const [m] = await got.take(1);
      expect(m?.msg).toMatchObject({ smid: `${a}/c1`, cmid: 'c1', from: a, to: b, body: 'hello', seq: 1 });
      expect(m?.attempt).toBe(1);
      // ack:R follows the handler; wait for it to be recorded rather than for time to pass.
      await alice.ping();
      const [r] = frames(history, `${a}/d1`, 'msg:R');
      expect(r?.fields).toMatchObject({ cmid: 'c1', to: b, body: 'hello', qos: variant.qos, dup: false });
      const [acc] = frames(history, `${a}/d1`, 'msg:A');
      expect(acc?.fields).toMatchObject({ rid: r?.fields.rid, cmid: 'c1', smid: `${a}/c1` });
      expect(acc?.raw).toMatch(variant.qos === 1 ? /^PUBACK/ : /^PUBCOMP/);
      const [push] = frames(history, `${b}/d1`, 'msg:N');
      expect(push?.fields).toMatchObject({ cmid: 'c1', from: a, body: 'hello', attempt: 1 });
      expect(push?.fields).not.toHaveProperty('seq');
      await bob.ping();
      const [ack] = frames(history, `${b}/d1`, 'ack:R');
      expect(ack?.fields).toMatchObject({ upTo: 1, cmid: 'c1' });
      expect(ack?.t).toBeGreaterThanOrEqual(push?.t ?? Infinity);
    });
  }

  it('keeps no more QoS 2 PUBLISHes in flight than the broker’s Receive Maximum (MQTT 5 §4.9)', async () => {
    const d = driver({ qos: 2 });
    const { a } = users();
    const alice = await login(d, a);
    const sends = Array.from({ length: 60 }, (_, i) =>
      alice.send({ cmid: `c${i}`, to: 'nobody', body: `${i}` }),
    );
    expect(await Promise.all(sends)).toHaveLength(60);
    const quota = frames(history, `${a}/d1`, 'hello:A')[0]?.fields.receiveMaximum;
    expect(quota).toBe(20); // Mosquitto's max_inflight_messages default
    let outstanding = 0;
    let most = 0;
    for (const f of frames(history, `${a}/d1`)) {
      if (f.type === 'msg:R') most = Math.max(most, ++outstanding);
      if (f.type === 'msg:A') outstanding--;
    }
    expect(most).toBe(quota);
  });

  it('never writes the password into the history', async () => {
    const d = driver();
    const { a } = users();
    await d
      .connect(`${a}/d1`, { user: a, device: 'd1', token: 'sekrit-pw' }, history)
      .then((s) => open.push(s));
    const hello = frames(history, `${a}/d1`, 'hello:R')[0];
    expect(hello?.raw).toMatch(/password=<redacted>/);
    expect(JSON.stringify(history.events)).not.toContain('sekrit-pw');
  });

  it('queues messages for an offline device in its persistent session and delivers them in order on reconnect (OFF-1)', async () => {
    const d = driver();
    const { a, b } = users();
    await (await login(d, b)).close();
    const alice = await login(d, a);
    for (const i of [1, 2, 3]) await alice.send({ cmid: `c${i}`, to: b, body: `m${i}` });
    const bob = await login(d, b);
    const got = await inbox(bob).take(3);
    expect(got.map((m) => m.msg.body)).toEqual(['m1', 'm2', 'm3']);
    expect(got.map((m) => m.msg.seq)).toEqual([1, 2, 3]);
    expect(frames(history, `${b}/d1`, 'hello:R')[1]?.fields).toMatchObject({ clean: false });
    expect(frames(history, `${b}/d1`, 'hello:A')[1]?.fields).toMatchObject({ sessionPresent: true });
  });

  it('redelivers a message whose PUBACK a crash prevented, with DUP=1 and attempt 2 (QoS 1 duplicates)', async () => {
    const d = driver();
    const { a, b } = users();
    const bob = await login(d, b);
    // The bot crashes upon the push, before its handler returns: mqtt.js never sends the PUBACK.
    bob.onNotification(() => bob.abort());
    const alice = await login(d, a);
    await alice.send({ cmid: 'c1', to: b, body: 'once' });
    expect((await bob.closed).initiator).toBe('crash');
    expect(frames(history, `${b}/d1`, 'ack:R')).toHaveLength(0);
    const again = await login(d, b);
    const [m] = await inbox(again).take(1);
    // The redelivery keeps its seq: the bot can dedup it by seq as well as by smid.
    expect(m?.msg).toMatchObject({ smid: `${a}/c1`, body: 'once', seq: 1 });
    expect(m?.attempt).toBe(2);
    const pushes = frames(history, `${b}/d1`, 'msg:N');
    expect(pushes.map((f) => [f.conn, f.fields.dup, f.fields.attempt])).toEqual([
      [1, false, 1],
      [2, true, 2],
    ]);
  });

  it('gives every device of a user its own session and copy (multi-device, MDEV-1)', async () => {
    const d = driver();
    const { a, b } = users();
    const phone = inbox(await login(d, b, 'phone'));
    const laptop = await login(d, b, 'laptop');
    await laptop.close();
    const alice = await login(d, a);
    await alice.send({ cmid: 'c1', to: b, body: 'both' });
    const [onPhone] = await phone.take(1);
    expect(onPhone?.msg.body).toBe('both');
    const back = inbox(await login(d, b, 'laptop'));
    const [onLaptop] = await back.take(1);
    expect(onLaptop?.msg.body).toBe('both');
    // One message, one seq, whichever device it reached (the driver's stand-in for an inbox seq).
    expect(onLaptop?.msg.seq).toBe(onPhone?.msg.seq);
  });

  it('throws UnsupportedError for sync, resolves ack at once, and times a PINGREQ', async () => {
    const d = driver();
    const { a } = users();
    const alice = await login(d, a);
    await expect(alice.sync({ after: 0, limit: 10 })).rejects.toBeInstanceOf(UnsupportedError);
    expect(await alice.ack(7)).toBe(7);
    expect(await alice.ping()).toBeGreaterThan(0);
    expect(frames(history, `${a}/d1`, 'ping:A').at(-1)?.fields.rid).toBe(
      frames(history, `${a}/d1`, 'ping:R').at(-1)?.fields.rid,
    );
  });

  it('refuses a target URL with an unknown parameter, and reports an unreachable broker', async () => {
    expect(() => driver({ target: `${broker.url}?qos=1&colour=red` })).toThrow(/unknown parameter "colour"/);
    const port = await freePort();
    const d = driver({}, `mqtt://127.0.0.1:${port}`);
    await expect(d.connect('x/d1', { user: 'x', device: 'd1', token: 't' }, history)).rejects.toBeInstanceOf(
      TargetUnreachableError,
    );
  });
});

describe('mqtt driver on Mosquitto with special configs', () => {
  let broker: MosquittoServer | undefined;
  const open: DriverSession[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) {
      s.abort();
      await s.closed;
    }
    await broker?.dispose();
    broker = undefined;
  });

  it('refuses a wrong password with AuthError', async () => {
    broker = await startMosquitto({ users: { alice: 'right' } });
    const d = new MqttDriver({ target: broker.url });
    const history = new History();
    await expect(
      d.connect('alice/d1', { user: 'alice', device: 'd1', token: 'wrong' }, history),
    ).rejects.toBeInstanceOf(AuthError);
    const closes = history.events.filter((e) => e.kind === 'close');
    expect(closes).toHaveLength(1);
  });

  it('accepts every message but silently drops those past max_queued_messages for an offline device', async () => {
    broker = await startMosquitto({ maxQueuedMessages: 3 });
    const d = new MqttDriver({ target: broker.url });
    const history = new History();
    const login = async (user: string) => {
      const s = await d.connect(`${user}/d1`, { user, device: 'd1', token: 'x' }, history);
      open.push(s);
      return s;
    };
    await (await login('bob')).close();
    const alice = await login('alice');
    const accepted = [];
    for (let i = 1; i <= 6; i++) accepted.push(await alice.send({ cmid: `c${i}`, to: 'bob', body: `m${i}` }));
    expect(accepted).toHaveLength(6);
    const bob = await login('bob');
    const got = inbox(bob);
    await got.take(3);
    // Nothing more is coming: a ping round trip after the queue drained proves the broker is done.
    await bob.ping();
    expect(got.msgs.map((m) => m.msg.body)).toEqual(['m1', 'm2', 'm3']);
    expect(broker.log()).toMatch(/Outgoing messages are being dropped for client imspec-bob-d1/);
  });

  it('replays an unacknowledged PUBLISH with DUP=1 after the broker restarts, and a resend of its cmid joins it', async () => {
    broker = await startMosquitto();
    const d = new MqttDriver({ target: broker.url });
    const history = new History();
    const alice = await d.connect('alice/d1', { user: 'alice', device: 'd1', token: 'x' }, history);
    open.push(alice);
    process.kill(broker.pid, 'SIGSTOP');
    const pending = alice.send({ cmid: 'c1', to: 'bob', body: 'kept' }, 10_000);
    pending.catch(() => {});
    await broker.kill();
    expect((await alice.closed).initiator).not.toBe('crash');
    await broker.start();
    const again = await d.connect('alice/d1', { user: 'alice', device: 'd1', token: 'x' }, history);
    open.push(again);
    const accepted = await again.send({ cmid: 'c1', to: 'bob', body: 'kept' });
    expect(accepted.smid).toBe('alice/c1');
    const sent = frames(history, 'alice/d1', 'msg:R');
    expect(sent.map((f) => [f.conn, f.fields.dup])).toEqual([
      [1, false],
      [2, true],
    ]);
  });
});
