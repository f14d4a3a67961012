/**
 * The XMPP driver against a real Prosody (Debian 0.12.x) on loopback: the R/A/N mapping with
 * XEP-0198 acks and XEP-0184 receipts, offline delivery after initial presence (OFF-1), a crashed
 * client's hibernating session, stream resumption after a network cut, MAM paging — plus the
 * shared driver contract.
 */

import { type AddressInfo, createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DriverSession, Notification } from '../../src/drivers/driver.js';
import { createDriver } from '../../src/drivers/index.js';
import { XMPP_CAPS, XmppDriver } from '../../src/drivers/xmpp/index.js';
import {
  AuthError,
  ConfigError,
  ConnectionClosedError,
  ProvisioningError,
  TargetUnreachableError,
  UnsupportedError,
} from '../../src/errors.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startTcpProxy } from '../../src/faults/tcp-proxy.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import { type ProsodyServer, startProsody } from '../helpers/prosody.js';
import { defineDriverContract } from './contract.js';

defineDriverContract('xmpp', XMPP_CAPS, async () => {
  const server = await startProsody({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
  return {
    driver: createDriver('xmpp', { target: server.url }),
    tokens: { alice: 'alice-pw', bob: 'bob-pw' },
    teardown: () => server.dispose(),
  };
});

type Msg = Extract<Notification, { type: 'msg:N' }>;
type Receipt = Extract<Notification, { type: 'ack:N' }>;

/** Collects a session's notifications; `msgs(n)` / `receipts(n)` resolve once n have arrived. */
function collect(session: DriverSession) {
  const msgs: Msg[] = [];
  const receipts: Receipt[] = [];
  const waiters = new Set<() => void>();
  session.onNotification((n) => {
    if (n.type === 'msg:N') msgs.push(n);
    else receipts.push(n);
    for (const w of waiters) w();
  });
  const until = <T>(list: T[], n: number, what: string): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (list.length < n) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(list.slice(0, n));
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${list.length} of ${n} ${what} within 5000 ms`));
      }, 5000);
      waiters.add(check);
      check();
    });
  return {
    msgs: (n: number) => until(msgs, n, 'messages'),
    receipts: (n: number) => until(receipts, n, 'receipts'),
    seenMsgs: msgs,
    seenReceipts: receipts,
  };
}

const frames = (history: History, actor: string, type?: string): FrameEvent[] =>
  history.events.filter(
    (e): e is FrameEvent =>
      e.kind === 'frame' && e.actor === actor && (type === undefined || e.type === type),
  );

describe('xmpp driver on Prosody', () => {
  let server: ProsodyServer;
  let history: History;
  const open: DriverSession[] = [];
  let n = 0;
  /** Fresh accounts per test, so one test's offline store never feeds another's. */
  const users = () => {
    n++;
    const a = `a${n}`;
    const b = `b${n}`;
    server.addUser(a, 'pw');
    server.addUser(b, 'pw');
    return { a, b };
  };

  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  beforeEach(() => {
    history = new History();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) {
      s.abort();
      await s.closed;
    }
  });

  async function login(d: XmppDriver, user: string, device = 'd1', token = 'pw'): Promise<DriverSession> {
    const s = await d.connect(`${user}/${device}`, { user, device, token, timeoutMs: 5000 }, history);
    open.push(s);
    return s;
  }
  const driver = (url = server.url) => new XmppDriver({ target: url });

  it('maps <message/>, <a h/> and XEP-0184 receipts onto msg:R, msg:A, msg:N, ack:R, ack:A and ack:N (RCPT-2)', async () => {
    const d = driver();
    const { a, b } = users();
    const bob = await login(d, b);
    const bobIn = collect(bob);
    const alice = await login(d, a);
    const aliceIn = collect(alice);
    const accepted = await alice.send({ cmid: 'c1', to: b, body: 'hello' });
    expect(accepted).toMatchObject({ cmid: 'c1', smid: `${a}/c1`, dup: false });
    const [m] = await bobIn.msgs(1);
    expect(m?.msg).toMatchObject({ smid: `${a}/c1`, cmid: 'c1', from: a, to: b, body: 'hello', seq: 1 });
    expect(m?.attempt).toBe(1);
    // RCPT-3: no receipt before the receiver acks.
    await alice.ping();
    expect(aliceIn.seenReceipts).toEqual([]);
    expect(await bob.ack(1)).toBe(1);
    const [r] = await aliceIn.receipts(1);
    expect(r).toMatchObject({ cmid: 'c1', smid: `${a}/c1`, to: b, status: 'delivered' });

    const [req] = frames(history, `${a}/d1`, 'msg:R');
    const [ans] = frames(history, `${a}/d1`, 'msg:A');
    expect(ans?.fields).toMatchObject({ rid: req?.fields.rid, cmid: 'c1' });
    expect(ans?.raw).toMatch(/^<a /);
    const [push] = frames(history, `${b}/d1`, 'msg:N');
    expect(push?.fields).toMatchObject({ cmid: 'c1', from: a, body: 'hello', attempt: 1 });
    expect(typeof push?.fields.stanzaId).toBe('string');
    expect(push?.fields).not.toHaveProperty('seq');
    const [ackR] = frames(history, `${b}/d1`, 'ack:R');
    const [ackA] = frames(history, `${b}/d1`, 'ack:A');
    expect(ackR?.fields).toMatchObject({ upTo: 1, cmid: 'c1', to: a });
    expect(ackA?.fields).toMatchObject({ rid: ackR?.fields.rid, upTo: 1 });
    expect(frames(history, `${a}/d1`, 'ack:N')).toHaveLength(1);
  });

  it('hands an offline user what mod_offline stored once it sends initial presence, in order (OFF-1)', async () => {
    const d = driver();
    const { a, b } = users();
    const alice = await login(d, a);
    const aliceIn = collect(alice);
    for (const i of [1, 2, 3]) await alice.send({ cmid: `c${i}`, to: b, body: `m${i}` });
    const bob = await login(d, b);
    const got = await collect(bob).msgs(3);
    expect(got.map((m) => [m.msg.body, m.msg.seq])).toEqual([
      ['m1', 1],
      ['m2', 2],
      ['m3', 3],
    ]);
    expect(frames(history, `${b}/d1`, 'msg:N').every((f) => f.fields.delayed === true)).toBe(true);
    await bob.ack(3);
    expect((await aliceIn.receipts(3)).map((r) => r.cmid)).toEqual(['c1', 'c2', 'c3']);
  });

  it('never writes the password into the history, and refuses a wrong one with AuthError', async () => {
    const d = driver();
    const { a } = users();
    server.addUser(a, 'sekrit-pw');
    await login(d, a, 'd1', 'sekrit-pw');
    await expect(login(d, a, 'd2', 'wrong')).rejects.toBeInstanceOf(AuthError);
    expect(JSON.stringify(history.events)).not.toContain(Buffer.from(`\0${a}\0sekrit-pw`).toString('base64'));
    expect(frames(history, `${a}/d1`).some((f) => f.raw.includes('[redacted]'))).toBe(true);
  });

  it('routes messages to a crashed client’s hibernating session and hands them over when that resource logs in again', async () => {
    const d = driver();
    const { a, b } = users();
    const bob = await login(d, b);
    bob.abort();
    expect((await bob.closed).initiator).toBe('crash');
    const alice = await login(d, a);
    await alice.send({ cmid: 'c1', to: b, body: 'while asleep' });
    const again = await login(d, b);
    const [m] = await collect(again).msgs(1);
    expect(m?.msg.body).toBe('while asleep');
    // A crashed client does not resume: the second login binds afresh.
    expect(frames(history, `${b}/d1`, 'hello:A').at(-1)?.fields.resumed).toBeUndefined();
  });

  it('bounces what sat in a hibernating session back to the sender once another resource of the user is online', async () => {
    const d = driver();
    const { a, b } = users();
    const sleeper = await login(d, b);
    sleeper.abort();
    await sleeper.closed;
    const alice = await login(d, a);
    await alice.send({ cmid: 'c1', to: b, body: 'lost' });
    // Initial presence makes Prosody hand over what it has before it answers a later ping, so a
    // ping is the barrier that proves nothing more is coming.
    const other = await login(d, b, 'd2');
    const otherIn = collect(other);
    await other.ping();
    const again = await login(d, b);
    const againIn = collect(again);
    await again.ping();
    await alice.ping();
    expect([...otherIn.seenMsgs, ...againIn.seenMsgs]).toEqual([]);
    const bounce = frames(history, `${a}/d1`).find((f) => f.fields.bounce !== undefined);
    expect(bounce?.fields).toMatchObject({ cmid: 'c1', bounce: 'recipient-unavailable' });
    expect(bounce?.type).toBeUndefined();
  });

  it('resumes the stream after a network cut (XEP-0198) and receives what was sent meanwhile', async () => {
    // The kit's TCP fault proxy between bob and Prosody: a reset, switched on when the test says.
    const proxy = await startTcpProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      rules: resolveFaultRules([{ id: 'cut', action: 'reset' }]),
    });
    proxy.setActive('cut', false);
    try {
      const d = driver(`xmpp://127.0.0.1:${proxy.port}`);
      const { a, b } = users();
      const bob = await login(d, b);
      const first = collect(bob);
      const alice = await login(driver(), a);
      await alice.send({ cmid: 'c1', to: b, body: 'before' });
      await first.msgs(1);
      proxy.setActive('cut', true);
      await expect(bob.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
      expect((await bob.closed).initiator).toBe('network');
      proxy.setActive('cut', false);
      await alice.send({ cmid: 'c2', to: b, body: 'during' });
      const again = await login(d, b);
      const [m] = await collect(again).msgs(1);
      expect(m?.msg).toMatchObject({ cmid: 'c2', body: 'during', seq: 2 });
      expect(frames(history, `${b}/d1`, 'hello:A').at(-1)?.fields).toMatchObject({ resumed: true });
      expect(proxy.events.map((e) => e.action)).toEqual(['reset']);
    } finally {
      for (const s of open.splice(0)) {
        s.abort();
        await s.closed;
      }
      await proxy.close();
    }
  });

  it('pages the MAM archive with sync, giving archived messages the seqs they were pushed with', async () => {
    const d = driver();
    const { a, b } = users();
    const alice = await login(d, a);
    for (const i of [1, 2, 3]) await alice.send({ cmid: `c${i}`, to: b, body: `m${i}` });
    const bob = await login(d, b);
    await collect(bob).msgs(3);
    const first = await bob.sync({ after: 0, limit: 2 });
    expect(first.msgs.map((m) => [m.cmid, m.seq])).toEqual([
      ['c1', 1],
      ['c2', 2],
    ]);
    expect(first.more).toBe(true);
    const rest = await bob.sync({ after: 2, limit: 2 });
    expect(rest.msgs.map((m) => [m.cmid, m.seq])).toEqual([['c3', 3]]);
    expect(rest.more).toBe(false);
    const newest = await bob.sync({ before: rest.maxSeq + 1, limit: 1 });
    expect(newest.msgs.map((m) => m.cmid)).toEqual(['c3']);
    await expect(bob.sync({ after: 99, limit: 2 })).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('refuses a target URL with an unknown parameter', () => {
    expect(() => driver(`${server.url}?colour=red`)).toThrow(ConfigError);
    expect(() => driver(`${server.url}?colour=red`)).toThrow(/unknown parameter "colour"/);
  });
});

describe('xmpp driver creating accounts (register=1, XEP-0077)', () => {
  let server: ProsodyServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('registers a fresh user before its first login, and an existing account still needs its password', async () => {
    server = await startProsody({ allowRegistration: true });
    const history = new History();
    const d = new XmppDriver({ target: `${server.url}?register=1` });
    const s = await d.connect('fresh/d1', { user: 'fresh', device: 'd1', token: 'pw1' }, history);
    await s.close();
    // Another driver (another run) asks again: "conflict" is fine, the login checks the password.
    const other = new XmppDriver({ target: `${server.url}?register=1` });
    const again = await other.connect('fresh/d2', { user: 'fresh', device: 'd2', token: 'pw1' }, history);
    await again.close();
    await expect(
      other.connect('fresh/d3', { user: 'fresh', device: 'd3', token: 'other' }, history),
    ).rejects.toBeInstanceOf(AuthError);
  });

  it('registers an account once when several devices of the user log in at the same time', async () => {
    server = await startProsody({ allowRegistration: true });
    const history = new History();
    const d = new XmppDriver({ target: `${server.url}?register=1` });
    const sessions = await Promise.all(
      ['d1', 'd2', 'd3'].map((device) =>
        d.connect(`many/${device}`, { user: 'many', device, token: 'pw' }, history),
      ),
    );
    await Promise.all(sessions.map((s) => s.close()));
    expect(server.log().match(/User account created/g) ?? []).toHaveLength(1);
    // One registration stream and three logins: concurrent registrations would open five or six.
    expect(server.log().match(/Client connected/g) ?? []).toHaveLength(4);
  });

  it('reports a refused registration as provisioning, with the server answer', async () => {
    server = await startProsody({ allowRegistration: true, users: { taken: 'pw' } });
    const d = new XmppDriver({ target: `${server.url}?register=1` });
    // Prosody refuses to register an account with an empty password (not-acceptable).
    const attempt = d.provision({ user: 'nopass', token: '' });
    await expect(attempt).rejects.toBeInstanceOf(ProvisioningError);
    await expect(attempt).rejects.toThrow(
      /registration \(XEP-0077\) of nopass@localhost .* failed: .*refused to register nopass: not-acceptable/,
    );
  });

  it('says the target is unreachable, not that registration failed, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const d = new XmppDriver({ target: `xmpp://127.0.0.1:${port}?register=1` });
    const attempt = d.connect('x/d1', { user: 'x', device: 'd1', token: 'pw' }, new History());
    await expect(attempt).rejects.toBeInstanceOf(TargetUnreachableError);
    await expect(attempt).rejects.toThrow(/cannot connect to xmpp:\/\/127\.0\.0\.1/);
  });

  it('fails the login, and nothing else, against a port that answers with something else and resets', async () => {
    // What Mosquitto does to an XMPP stream header: a reset. xmpp.js's start() left its wait for
    // 'online' unhandled then, and the process died of an unhandled rejection (a bare ECONNRESET).
    const other = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      const d = new XmppDriver({ target: `xmpp://127.0.0.1:${port}?domain=localhost` });
      const attempt = d.connect('x/d1', { user: 'x', device: 'd1', token: 'pw' }, new History());
      await expect(attempt).rejects.toThrow(/XMPP login of x\/d1 at xmpp:\/\/127\.0\.0\.1:\d+ failed/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', note);
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('says how to fix a server that offers no registration', async () => {
    server = await startProsody();
    const d = new XmppDriver({ target: `${server.url}?register=1` });
    const attempt = d.connect('x/d1', { user: 'x', device: 'd1', token: 'pw' }, new History());
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/allow_registration/);
  });
});

describe('xmpp driver on Prosody without mod_mam', () => {
  let server: ProsodyServer | undefined;
  afterEach(async () => {
    await server?.dispose();
  });

  it('throws UnsupportedError for sync and still pings', async () => {
    server = await startProsody({ mam: false, users: { alice: 'pw' } });
    const history = new History();
    const s = await new XmppDriver({ target: server.url }).connect(
      'alice/d1',
      { user: 'alice', device: 'd1', token: 'pw' },
      history,
    );
    try {
      await expect(s.sync({ after: 0, limit: 5 })).rejects.toBeInstanceOf(UnsupportedError);
      expect(await s.ping()).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
