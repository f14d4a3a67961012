import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { createDriver } from '../../src/drivers/index.js';
import { CLOSE_GRACE_MS } from '../../src/drivers/ran/wire.js';
import { DriverError, ServerRejectedError, TimeoutError } from '../../src/errors.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { CAPS } from '../../src/protocol/frames.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { defineDriverContract } from './contract.js';

const SECRET = 'contract-secret';

async function referenceServer(options: ServerOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-ran-'));
  const server = await startServer({ port: 0, db: join(dir, 'server.db'), hmacSecret: SECRET, ...options });
  return {
    server,
    teardown: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

defineDriverContract('ran', CAPS, async () => {
  const { server, teardown } = await referenceServer();
  return {
    driver: createDriver('ran', { target: server.url }),
    tokens: { alice: hmacToken(SECRET, 'alice'), bob: hmacToken(SECRET, 'bob') },
    teardown,
  };
});

describe('ran driver specifics', () => {
  let server: RunningServer;
  let teardown: () => Promise<void>;
  let history: History;

  beforeEach(() => {
    history = new History();
  });
  afterEach(async () => {
    await teardown?.();
  });

  /** `user`/d1 logged in with its token. */
  function loginAs(driver: ReturnType<typeof createDriver>, user: string) {
    return driver.connect(`${user}/d1`, { user, device: 'd1', token: hmacToken(SECRET, user) }, history);
  }

  async function start(options: ServerOptions = {}) {
    ({ server, teardown } = await referenceServer(options));
    return createDriver('ran', { target: server.url });
  }

  it('refuses an unknown driver name with the known names', () => {
    expect(() => createDriver('smtp', { target: 'x' })).toThrow(DriverError);
    expect(() => createDriver('smtp', { target: 'x' })).toThrow(/ran/);
  });

  it('rejects a request answered with error:A as ServerRejectedError carrying the wire code (ACK-2)', async () => {
    const driver = await start();
    const s = await driver.connect(
      'bob/d1',
      { user: 'bob', device: 'd1', token: hmacToken(SECRET, 'bob') },
      history,
    );
    const error = await s.ack(s.info.maxSeq + 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerRejectedError);
    expect((error as ServerRejectedError).wireCode).toBe('bad-ack');
    await s.close();
  });

  it('hands a watcher the notifications that came before it, later ones, and the close once', async () => {
    const driver = await start();
    const login = (user: string) => loginAs(driver, user);
    const bob = await login('bob');
    const alice = await login('alice');
    await alice.send({ cmid: 'c1', to: 'bob', body: 'before' }, 2000);
    await bob.ping(2000); // the push of c1 has arrived, with nobody watching yet
    const seen: string[] = [];
    bob.watch!({
      notified: (session, n) => seen.push(`${session === bob} ${n.type === 'msg:N' ? n.msg.body : n.type}`),
      sessionClosed: (session, close) => seen.push(`${session === bob} closed by ${close.initiator}`),
    });
    await alice.send({ cmid: 'c2', to: 'bob', body: 'after' }, 2000);
    await bob.ping(2000);
    await bob.close();
    expect(seen).toEqual(['true before', 'true after', 'true closed by client']);
    // Watching a session that has already ended still hears of its close, a microtask later.
    const late: string[] = [];
    bob.watch!({ notified: () => late.push('notified'), sessionClosed: () => late.push('closed') });
    expect(late).toEqual([]);
    await Promise.resolve();
    expect(late).toEqual(['closed']);
    await alice.close();
  });

  it('hands a watcher every notification once, beside a listener added after it', async () => {
    const driver = await start();
    const login = (user: string) => loginAs(driver, user);
    const bob = await login('bob');
    const alice = await login('alice');
    const watched: string[] = [];
    const listened: string[] = [];
    bob.watch!({
      notified: (_s, n) => watched.push(n.type === 'msg:N' ? n.msg.body : n.type),
      sessionClosed: () => watched.push('closed'),
    });
    await alice.send({ cmid: 'c1', to: 'bob', body: 'one' }, 2000);
    await bob.ping(2000);
    bob.onNotification((n) => listened.push(n.type === 'msg:N' ? n.msg.body : n.type));
    await alice.send({ cmid: 'c2', to: 'bob', body: 'two' }, 2000);
    await bob.ping(2000);
    await bob.close();
    expect(watched).toEqual(['one', 'two', 'closed']);
    expect(listened).toEqual(['two']);
    await alice.close();
  });

  it('answers sendWith through the sink with the caller context, once, as send would', async () => {
    const driver = await start();
    const s = await driver.connect(
      'alice/d1',
      { user: 'alice', device: 'd1', token: hmacToken(SECRET, 'alice') },
      history,
    );
    const seen: string[] = [];
    const sink = {
      accepted: (ctx: string, a: { cmid: string }) => seen.push(`${ctx} accepted ${a.cmid}`),
      failed: (ctx: string, e: Error) => seen.push(`${ctx} failed ${e.constructor.name}`),
    };
    const wait = () => new Promise<void>((resolve) => s.ping(2000).then(() => resolve()));
    s.sendWith!({ cmid: 'c1', to: 'bob', body: 'hi' }, 2000, sink, 'first');
    await wait();
    // An error:A is a failure with the server's refusal, as `send` rejects.
    s.sendWith!({ cmid: 'c2', to: '', body: 'bad' }, 2000, sink, 'second');
    await wait();
    s.ackQuietly!(0);
    await wait();
    await s.close();
    s.sendWith!({ cmid: 'c3', to: 'bob', body: 'late' }, 2000, sink, 'third');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([
      'first accepted c1',
      'second failed ServerRejectedError',
      'third failed ConnectionClosedError',
    ]);
    const acks = history.events.filter(
      (e): e is FrameEvent => e.kind === 'frame' && (e.type === 'ack:R' || e.type === 'ack:A'),
    );
    expect(acks.map((e) => e.type)).toEqual(['ack:R', 'ack:A']);
  });

  /** A ws server that does only what `onConnection` does: no RAN/1 at all. */
  async function bareServer(onConnection: (c: WebSocket) => void) {
    const bare = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    bare.on('connection', onConnection);
    await new Promise((resolve) => bare.once('listening', resolve));
    teardown = async () => {
      for (const c of bare.clients) c.terminate();
      await new Promise((resolve) => bare.close(resolve));
    };
    const { port } = bare.address() as { port: number };
    return createDriver('ran', { target: `ws://127.0.0.1:${port}` });
  }

  it('records a schema-invalid frame from the server with invalid set and never crashes (FRAME-4)', async () => {
    const driver = await start({ faults: ['bad-schema'] });
    const s = await driver.connect(
      'alice/d1',
      { user: 'alice', device: 'd1', token: hmacToken(SECRET, 'alice') },
      history,
    );
    for (let i = 0; i < 4; i++) await s.ping(2000).catch(() => undefined);
    await s.close();
    const invalid = history.events.filter(
      (e): e is FrameEvent => e.kind === 'frame' && e.invalid !== undefined,
    );
    expect(invalid.length).toBeGreaterThan(0);
    expect(invalid[0]?.dir).toBe('in');
    expect(invalid[0]?.invalid).toMatch(/x-fault/);
    expect(invalid[0]?.raw).toMatch(/x-fault/);
  });

  it('rejects an unanswered request with TimeoutError (RID-1 evidence stays in the history)', async () => {
    const driver = await start({ faults: ['drop-answer'] });
    const s = await driver.connect(
      'alice/d1',
      { user: 'alice', device: 'd1', token: hmacToken(SECRET, 'alice') },
      history,
    );
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => s.ping(300)));
    expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof TimeoutError)).toHaveLength(
      1,
    );
    await s.close();
  });

  it('fails a login against a server that never answers hello with TimeoutError', async () => {
    const driver = await bareServer(() => {});
    const error = await driver
      .connect('alice/d1', { user: 'alice', device: 'd1', token: 't', timeoutMs: 200 }, history)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(history.events.some((e) => e.kind === 'close' && e.actor === 'alice/d1')).toBe(true);
  });

  it('fails a connect whose opening handshake never completes with TimeoutError', async () => {
    // A TCP listener that accepts and never answers the HTTP upgrade.
    const held: Socket[] = [];
    const mute = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    teardown = async () => {
      for (const s of held) s.destroy();
      await new Promise((resolve) => mute.close(resolve));
    };
    const { port } = mute.address() as { port: number };
    const driver = createDriver('ran', { target: `ws://127.0.0.1:${port}` });
    const error = await driver
      .connect('alice/d1', { user: 'alice', device: 'd1', token: 't', timeoutMs: 150 }, history)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(String((error as Error).message)).toMatch(/handshake has timed out/);
  });

  it('drops a connection whose server never answers the close frame after CLOSE_GRACE_MS, not 30 s', async () => {
    // ws answers a close frame by calling close() on the server's socket: a no-op never answers.
    const driver = await bareServer((c) => {
      c.close = () => {};
    });
    const raw = await driver.openRaw!('probe/x', history, 2000);
    const started = performance.now();
    await raw.close();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(CLOSE_GRACE_MS - 50);
    expect(took).toBeLessThan(CLOSE_GRACE_MS + 3000);
    expect(history.events.some((e) => e.kind === 'close' && e.actor === 'probe/x')).toBe(true);
  }, 40_000);

  describe('raw sockets (probes)', () => {
    it('answers a request before hello with not-authenticated (AUTH-1)', async () => {
      const driver = await start();
      const raw = await driver.openRaw!('probe/x', history, 2000);
      raw.send(JSON.stringify({ type: 'ping:R', rid: 'p0' }));
      raw.send(JSON.stringify({ type: 'ack:R', rid: 'p1', upTo: 1 }));
      const answer = await raw.next((f) => f.fields.rid === 'p1', 2000);
      expect(answer?.type).toBe('error:A');
      expect(answer?.fields.code).toBe('not-authenticated');
      await raw.close();
    });

    it('answers bad JSON with bad-json and rid null, recording the junk as sent (FRAME-2)', async () => {
      const driver = await start();
      const raw = await driver.openRaw!('probe/x', history, 2000);
      raw.send('{not json');
      const answer = await raw.next((f) => f.type === 'error:A' && f.fields.rid === null, 2000);
      expect(answer?.fields.code).toBe('bad-json');
      await raw.close();
      const out = history.events.find((e): e is FrameEvent => e.kind === 'frame' && e.dir === 'out');
      expect(out).toMatchObject({ raw: '{not json', type: undefined });
      expect(out?.invalid).toMatch(/JSON/);
    });

    it('sees auth-failed and then the 4401 close for a wrong token (AUTH-2)', async () => {
      const driver = await start();
      const raw = await driver.openRaw!('probe/x', history, 2000);
      raw.send(JSON.stringify({ type: 'hello:R', rid: 'h', user: 'alice', device: 'd', token: 'wrong' }));
      const answer = await raw.next((f) => f.fields.rid === 'h', 2000);
      expect(answer?.fields.code).toBe('auth-failed');
      const close = await raw.closed;
      expect(close).toMatchObject({ code: 4401, initiator: 'server' });
    });

    it('numbers connections per actor across sessions and raw sockets', async () => {
      const driver = await start();
      const raw = await driver.openRaw!('alice/d1', history, 2000);
      await raw.close();
      const s = await driver.connect(
        'alice/d1',
        { user: 'alice', device: 'd1', token: hmacToken(SECRET, 'alice') },
        history,
      );
      expect(raw.conn).toBe(1);
      expect(s.conn).toBe(2);
      await s.close();
    });
  });
});
