/**
 * Sessions: hello and authentication, starting points, ping, framing errors, rid correlation.
 */

import { describe, expect, it } from 'vitest';
import { CAPS, CloseCode } from '../../src/protocol/frames.js';
import { DEFAULT_LIMITS } from '../../src/server/index.js';
import { TestClient, tokenFor } from './client.js';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

describe('hello and authentication', () => {
  it('AUTH-3: hello:A carries maxSeq, pending, every capability, the limits and serverTime', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    const before = Date.now();
    const a = await c.hello('alice', 'phone');
    expect(a).toMatchObject({ user: 'alice', device: 'phone', maxSeq: 0, pending: 0 });
    expect([...a.caps].sort()).toEqual([...CAPS].sort());
    expect(a.limits).toEqual(DEFAULT_LIMITS);
    expect(a.serverTime).toBeGreaterThanOrEqual(before - 1);
  });

  it('AUTH-2: a wrong token gets error:A auth-failed, then close 4401, and no session exists', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    const answer = await c.request({ type: 'hello:R', user: 'bob', device: 'd', token: 'wrong' });
    expect(answer).toMatchObject({ type: 'error:A', code: 'auth-failed' });
    expect((await c.closed).code).toBe(CloseCode.authFailed);
    // No session: a message to bob is answered with a stand-in receipt (bob has no device).
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'm1');
    expect((await alice.next('ack:N')).status).toBe('stored');
  });

  it('accepts static tokens from the table and HMAC tokens for everyone else', async () => {
    const server = await fx.start({ tokens: { carol: 'carols-token' } });
    const carol = await fx.client(server);
    await expect(carol.hello('carol', 'd', { token: 'carols-token' })).resolves.toMatchObject({
      user: 'carol',
    });
    const dave = await fx.client(server);
    await expect(dave.hello('dave', 'd', { token: tokenFor('dave') })).resolves.toMatchObject({
      user: 'dave',
    });
    const mallory = await fx.client(server);
    await expect(mallory.hello('carol', 'd2', { token: tokenFor('carol') })).rejects.toThrow(/auth-failed/);
  });

  it('AUTH-1: requests before hello:A get not-authenticated and change nothing', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    for (const frame of [
      { type: 'msg:R', cmid: 'c1', to: 'bob', body: 'x' },
      { type: 'ack:R', upTo: 0 },
      { type: 'sync:R', after: 0, limit: 10 },
    ]) {
      expect(await c.request(frame)).toMatchObject({ type: 'error:A', code: 'not-authenticated' });
    }
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA.maxSeq).toBe(0);
  });

  it('AUTH-4: a connection with no hello within helloTimeoutMs is closed with 4408', async () => {
    const server = await fx.start({ helloTimeoutMs: 100 });
    const c = await fx.client(server);
    expect((await c.closed).code).toBe(CloseCode.timeout);
  });

  it('AUTH-5: a second hello:R gets already-authenticated and changes nothing', async () => {
    const server = await fx.start();
    const c = await fx.login(server, 'alice', 'phone');
    const again = await c.request({ type: 'hello:R', user: 'bob', device: 'x', token: tokenFor('bob') });
    expect(again).toMatchObject({ type: 'error:A', code: 'already-authenticated' });
    // Still alice: a message to bob from this connection comes from alice.
    const bob = await fx.login(server, 'bob', 'd');
    await sendMsg(c, 'bob', 'm1');
    expect((await bob.next('msg:N')).from).toBe('alice');
  });

  it('AUTH-6: a new session for the same user and device closes the old one with 4409', async () => {
    const server = await fx.start();
    const old = await fx.login(server, 'bob', 'phone');
    const fresh = await fx.login(server, 'bob', 'phone');
    expect((await old.closed).code).toBe(CloseCode.replaced);
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'm1');
    expect((await fresh.next('msg:N')).cmid).toBe('m1');
    expect(old.all('msg:N')).toEqual([]);
  });

  it('PING-1: ping:R is answered with ping:A before and after hello', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    expect(await c.request({ type: 'ping:R', rid: 'p1' })).toMatchObject({ type: 'ping:A', rid: 'p1' });
    await c.hello('alice', 'd');
    const a = await c.request({ type: 'ping:R', rid: 'p2' });
    expect(a).toMatchObject({ type: 'ping:A', rid: 'p2' });
  });

  it('PING-2: a connection silent for idleMs is closed with 4408; pings keep it open', async () => {
    const server = await fx.start({ idleMs: 150 });
    const quiet = await fx.login(server, 'alice', 'd');
    const chatty = await fx.login(server, 'bob', 'd');
    const start = Date.now();
    while (!quiet.isClosed) await chatty.barrier();
    expect((await quiet.closed).code).toBe(CloseCode.timeout);
    expect(Date.now() - start).toBeGreaterThanOrEqual(100);
    expect(chatty.isClosed).toBe(false);
  });

  it('refuses a port that is taken with a ConfigError that says what to do', async () => {
    const server = await fx.start();
    await expect(fx.start({ port: server.port })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE.*--port/,
    );
  });

  it('subprotocol ran.1 is selected when offered', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    expect(c.ws.protocol).toBe('ran.1');
    const plain = await TestClient.connect(server.url, []);
    expect(plain.ws.protocol).toBe('');
    plain.terminate();
  });
});

describe('starting points', () => {
  it('NEWDEV-1: a new device without lastSeq starts at maxSeq: pending 0 and nothing old is pushed', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    for (const id of ['m1', 'm2', 'm3']) await sendMsg(alice, 'bob', id);
    const tablet = await fx.login(server, 'bob', 'tablet');
    expect(tablet.helloA).toMatchObject({ maxSeq: 3, pending: 0 });
    await tablet.barrier();
    expect(tablet.all('msg:N')).toEqual([]);
    // ... but the history is reachable backwards from maxSeq + 1 (SYNC-2).
    const page = await tablet.request({ type: 'sync:R', before: 4, limit: 10 });
    expect(page).toMatchObject({ type: 'sync:A', more: false, maxSeq: 3 });
    expect(page.type === 'sync:A' && page.msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('HELLO-1: base is lastSeq when sent, else the stored cursor; pending = maxSeq − base', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'phone');
    const alice = await fx.login(server, 'alice', 'd');
    for (const id of ['m1', 'm2', 'm3', 'm4']) await sendMsg(alice, 'bob', id);
    await bob.request({ type: 'ack:R', upTo: 1 });
    await bob.close();
    const again = await fx.login(server, 'bob', 'phone');
    expect(again.helloA).toMatchObject({ maxSeq: 4, pending: 3 });
    await again.close();
    const withLast = await fx.login(server, 'bob', 'phone', { lastSeq: 0 });
    expect(withLast.helloA).toMatchObject({ maxSeq: 4, pending: 4 });
    await withLast.close();
    const ahead = await fx.login(server, 'bob', 'phone', { lastSeq: 9 });
    expect(ahead.helloA).toMatchObject({ maxSeq: 4, pending: 0 });
  });

  it('HELLO-2: a lastSeq above the stored cursor acts as a cumulative ack (and sends delivered receipts)', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'phone');
    const alice = await fx.login(server, 'alice', 'd');
    for (const id of ['m1', 'm2']) await sendMsg(alice, 'bob', id);
    await bob.close();
    const back = await fx.login(server, 'bob', 'phone', { lastSeq: 2 });
    expect(back.helloA.pending).toBe(0);
    const receipts = [await alice.next('ack:N'), await alice.next('ack:N')];
    expect(receipts.map((r) => [r.cmid, r.status])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
    await back.close();
    const later = await fx.login(server, 'bob', 'phone');
    expect(later.helloA.pending).toBe(0);
  });
});

describe('framing and request ids', () => {
  it('FRAME-1/FRAME-4: every WebSocket message from the server is one valid JSON frame', async () => {
    const server = await fx.start({ repushMs: 50 });
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await bob.next('msg:N', (m) => m.attempt === 2);
    await bob.request({ type: 'ack:R', upTo: 1 });
    await alice.next('ack:N');
    await bob.request({ type: 'sync:R', before: 2, limit: 5 });
    bob.send('not json');
    await bob.nextAnswer(null);
    for (const c of [alice, bob]) {
      expect(c.invalid).toEqual([]);
      expect(c.received).toHaveLength(c.messages);
    }
  });

  it('FRAME-2: text that is not JSON, not an object, or not UTF-8 gets error:A bad-json with rid null; the connection stays', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    for (const text of ['{nope', '[1,2]', '"str"', 'null', '42']) {
      c.send(text);
      expect(await c.nextAnswer(null)).toMatchObject({ type: 'error:A', rid: null, code: 'bad-json' });
    }
    // Invalid UTF-8 inside a text frame, written as raw bytes: FIN+text, masked, length 2, zero mask.
    (c.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
      Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]),
    );
    expect(await c.nextAnswer(null)).toMatchObject({ code: 'bad-json' });
    await c.barrier();
  });

  it('FRAME-3: a schema-invalid frame gets bad-frame, with its rid when readable, naming the member', async () => {
    const server = await fx.start();
    const c = await fx.login(server, 'alice', 'd');
    c.send({ type: 'msg:R', rid: 'x1', cmid: 'c', to: 'bob', body: 'b', extra: 1 });
    const a = await c.nextAnswer('x1');
    expect(a).toMatchObject({ type: 'error:A', code: 'bad-frame' });
    expect(a.type === 'error:A' && a.message).toMatch(/extra/);
    c.send({ type: 'nope:R', rid: 'x2' });
    expect(await c.nextAnswer('x2')).toMatchObject({ code: 'bad-frame' });
    c.send({ type: 'ack:R', rid: 5, upTo: 1 });
    expect(await c.nextAnswer(null)).toMatchObject({ code: 'bad-frame' });
    c.send({ type: 'ping:A', rid: 'x3', serverTime: 1 });
    expect(await c.nextAnswer('x3')).toMatchObject({ code: 'bad-frame' });
    // Nothing changed: no message was stored.
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA.maxSeq).toBe(0);
  });

  it('FRAME-5: a binary message is refused with close 1003', async () => {
    const server = await fx.start();
    const c = await fx.login(server, 'alice', 'd');
    c.send({ type: 'ping:R', rid: 'p' }, { binary: true });
    expect((await c.closed).code).toBe(CloseCode.unsupportedData);
  });

  it('FRAME-5: a message over maxFrameBytes is refused with close 1009 and stores nothing', async () => {
    const server = await fx.start({ maxFrameBytes: 1024 });
    const c = await fx.login(server, 'alice', 'd');
    c.send({ type: 'msg:R', rid: 'big', cmid: 'c', to: 'bob', body: 'x'.repeat(2000) });
    expect((await c.closed).code).toBe(CloseCode.messageTooBig);
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA.maxSeq).toBe(0);
  });

  it('FRAME-6: a body over maxBodyBytes (UTF-8 bytes) gets too-large and is not stored', async () => {
    const server = await fx.start({ maxBodyBytes: 10 });
    const c = await fx.login(server, 'alice', 'd');
    // 4 characters, 12 bytes.
    expect(await c.request({ type: 'msg:R', cmid: 'c', to: 'bob', body: '€€€€' })).toMatchObject({
      code: 'too-large',
    });
    await sendMsg(c, 'bob', 'ok', '€€€');
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA.maxSeq).toBe(1);
  });

  it('RID-1/RID-2 and FRAME-7: each request gets exactly one answer with its rid, and only A and N frames come back', async () => {
    const server = await fx.start();
    const c = await fx.login(server, 'alice', 'd');
    const rids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const rid = `q${i}`;
      rids.push(rid);
      const kind = i % 3;
      if (kind === 0) c.send({ type: 'msg:R', rid, cmid: `c${i}`, to: 'bob', body: 'x' });
      else if (kind === 1) c.send({ type: 'sync:R', rid, after: 0, limit: 5 });
      else c.send({ type: 'ping:R', rid });
    }
    await Promise.all(rids.map((rid) => c.nextAnswer(rid)));
    await c.barrier();
    const answers = c.received.filter((f) => f.type.endsWith(':A') && f.type !== 'hello:A');
    const answered = answers.map((f) => (f as { rid: string }).rid).filter((r) => r.startsWith('q'));
    expect(answered.sort()).toEqual([...rids].sort());
    expect(c.received.every((f) => f.type.endsWith(':A') || f.type.endsWith(':N'))).toBe(true);
  });
});
