import { once } from 'node:events';
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createRng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startTcpProxy, type TcpProxy } from '../../src/faults/tcp-proxy.js';
import type { FaultRecord } from '../../src/faults/types.js';

/** A real TCP server that records each connection's chunks and echoes them back (unless quiet). */
interface Peer {
  socket: Socket;
  chunks: Buffer[];
  ended: boolean;
  error: string | undefined;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoServer(
  echo = true,
): Promise<{ server: Server; port: number; peers: Peer[]; peer(n: number): Promise<Peer> }> {
  const peers: Peer[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const peer: Peer = { socket, chunks: [], ended: false, error: undefined };
    peers.push(peer);
    socket.on('data', (d: Buffer) => {
      peer.chunks.push(d);
      if (echo) socket.write(d);
    });
    socket.on('end', () => {
      peer.ended = true;
      socket.end('bye');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      peer.error = e.code;
    });
    for (const w of waiters.splice(0)) w();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => {
    for (const p of peers) p.socket.destroy();
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    peers,
    async peer(n) {
      while (peers.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return peers[n - 1]!;
    },
  };
}

async function proxyFor(port: number, rules: unknown[], seed = 'tcp'): Promise<TcpProxy> {
  const proxy = await startTcpProxy({
    upstream: `127.0.0.1:${port}`,
    rules: resolveFaultRules(rules),
    rng: createRng(seed),
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function dial(proxy: TcpProxy): Promise<Socket> {
  const s = netConnect({ host: proxy.host, port: proxy.port, allowHalfOpen: true });
  s.on('error', () => {});
  cleanups.push(() => {
    s.destroy();
  });
  await once(s, 'connect');
  return s;
}

/** Reads until `n` bytes arrived. */
function readBytes(s: Socket, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have >= n) {
        s.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

describe('tcp proxy', () => {
  it('passes bytes both ways and keeps a half-close: the server can still answer after the client’s FIN', async () => {
    const { port } = await echoServer();
    const proxy = await proxyFor(port, []);
    const s = await dial(proxy);
    s.write('hello');
    expect((await readBytes(s, 5)).toString()).toBe('hello');
    const rest = readBytes(s, 3);
    s.end();
    expect((await rest).toString()).toBe('bye');
    expect(proxy.stats).toMatchObject({ connections: 1, bytesToServer: 5, bytesToClient: 8, faults: 0 });
  });

  it('latency: a round trip through a 60 ms to-server latency takes at least 60 ms and is recorded once per connection', async () => {
    const { port } = await echoServer();
    const proxy = await proxyFor(port, [
      { id: 'slow', match: { direction: 'to-server' }, action: { type: 'latency', by: '60ms' } },
    ]);
    const s = await dial(proxy);
    const t0 = performance.now();
    s.write('a');
    await readBytes(s, 1);
    s.write('b');
    await readBytes(s, 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    expect(proxy.events).toEqual([
      expect.objectContaining({
        rule: 'slow',
        action: 'latency',
        layer: 'stream',
        conn: 1,
        direction: 'to-server',
        params: { ms: 60, jitterMs: 0 },
      }),
    ]);
  });

  it('bandwidth: 600 bytes at 3000 bytes/s take at least 200 ms to arrive', async () => {
    const { port, peer } = await echoServer(false);
    const proxy = await proxyFor(port, [
      { match: { direction: 'to-server' }, action: { type: 'bandwidth', bytesPerSecond: 3000 } },
    ]);
    const s = await dial(proxy);
    const p = await peer(1);
    const t0 = performance.now();
    s.write(Buffer.alloc(600, 1));
    await new Promise<void>((resolve) =>
      p.socket.on('data', () => Buffer.concat(p.chunks).length >= 600 && resolve()),
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('slice: writes reach the target in pieces of at most `bytes`, in order', async () => {
    const { port, peer } = await echoServer(false);
    const proxy = await proxyFor(port, [
      { match: { direction: 'to-server' }, action: { type: 'slice', bytes: 3, gap: '15ms' } },
    ]);
    const s = await dial(proxy);
    const p = await peer(1);
    s.write('abcdefghij');
    await new Promise<void>((resolve) =>
      p.socket.on('data', () => Buffer.concat(p.chunks).length >= 10 && resolve()),
    );
    expect(Buffer.concat(p.chunks).toString()).toBe('abcdefghij');
    expect(Math.max(...p.chunks.map((c) => c.length))).toBeLessThanOrEqual(3);
    expect(p.chunks.length).toBeGreaterThanOrEqual(4);
  });

  it('reset: lets `afterBytes` through, then resets both connections', async () => {
    const { port, peer } = await echoServer(false);
    const proxy = await proxyFor(port, [
      { match: { direction: 'to-server' }, action: { type: 'reset', afterBytes: 4 } },
    ]);
    const s = await dial(proxy);
    const p = await peer(1);
    const clientError = new Promise<string>((resolve) =>
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
    );
    s.write('0123456789');
    expect(await clientError).toBe('ECONNRESET');
    await once(p.socket, 'close');
    expect(Buffer.concat(p.chunks).toString()).toBe('0123');
    expect(p.error).toBe('ECONNRESET');
    expect(proxy.events[0]).toMatchObject({ action: 'reset', params: { afterBytes: 4 } });
  });

  it('blackhole: bytes in the window vanish, nothing closes, and bytes flow again once the rule is off', async () => {
    const { port, peer } = await echoServer();
    let swallowed!: () => void;
    const recorded = new Promise<void>((resolve) => {
      swallowed = resolve;
    });
    const proxy = await startTcpProxy({
      upstream: { host: '127.0.0.1', port },
      rules: resolveFaultRules([{ id: 'hole', action: 'blackhole' }]),
      onFault: () => swallowed(),
    });
    cleanups.push(() => proxy.close());
    proxy.setActive('hole', false);
    const s = await dial(proxy);
    s.write('a');
    await readBytes(s, 1);
    const p = await peer(1);
    proxy.setActive('hole', true);
    s.write('lost');
    await recorded;
    proxy.setActive('hole', false);
    s.write('b');
    expect((await readBytes(s, 1)).toString()).toBe('b');
    expect(Buffer.concat(p.chunks).toString()).toBe('ab');
    expect(s.destroyed).toBe(false);
  });

  it('a timed blackhole holds both directions for its duration, then lets bytes through', async () => {
    const { port } = await echoServer();
    const proxy = await proxyFor(port, [{ action: { type: 'blackhole', for: '100ms' } }]);
    const s = await dial(proxy);
    const t0 = performance.now();
    let n = 0;
    const probe = setInterval(() => s.write(String(n++ % 10)), 10);
    try {
      await readBytes(s, 1);
    } finally {
      clearInterval(probe);
    }
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(proxy.events).toEqual([expect.objectContaining({ action: 'blackhole', params: { ms: 100 } })]);
  });

  it('nth selects the n-th connection only', async () => {
    const { port } = await echoServer();
    const proxy = await proxyFor(port, [{ nth: 2, action: { type: 'reset' } }]);
    const first = await dial(proxy);
    first.write('x');
    expect((await readBytes(first, 1)).toString()).toBe('x');
    const second = await dial(proxy);
    const err = new Promise<string>((resolve) =>
      second.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
    );
    second.write('y');
    expect(await err).toBe('ECONNRESET');
    expect(proxy.events.map((e) => e.conn)).toEqual([2]);
  });

  it('probability chooses connections from the seed: same seed, same connections and jitter', async () => {
    const { port } = await echoServer();
    const run = async (seed: string): Promise<Omit<FaultRecord, 't'>[]> => {
      const proxy = await proxyFor(
        port,
        [{ id: 'p', probability: 0.5, action: { type: 'latency', by: 1, jitter: 5 } }],
        seed,
      );
      for (let i = 0; i < 12; i++) {
        const s = await dial(proxy);
        s.write('z');
        await readBytes(s, 1);
        s.destroy();
      }
      return proxy.events.map(({ t: _t, ...rest }) => rest);
    };
    const a = await run('one');
    expect(a.length).toBeGreaterThan(1);
    expect(a.length).toBeLessThan(24);
    expect(await run('one')).toEqual(a);
  });

  it('refuses frame rules and a malformed upstream with a ConfigError', async () => {
    await expect(
      startTcpProxy({ upstream: '127.0.0.1:1', rules: resolveFaultRules([{ action: 'drop' }]) }),
    ).rejects.toThrow(ConfigError);
    await expect(startTcpProxy({ upstream: 'localhost' })).rejects.toThrow(/is not host:port/);
  });
});
