import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from '../../src/errors.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startWsProxy } from '../../src/faults/ws-proxy.js';
import { connect, startUpstream } from './peers.js';
import { useRig } from './rig.js';

describe('ws proxy with no rules', () => {
  const rig = useRig();

  it('passes frames both ways, one upstream connection per client, and selects the upstream subprotocol', async () => {
    const { upstream, proxy, client } = await rig([]);
    const a = await client('alice');
    const b = await client('bob');
    a.msg(1);
    b.msg(2);
    await a.waitFor(1);
    await b.waitFor(1);
    expect(a.ws.protocol).toBe('ran.1');
    expect(upstream.conns).toHaveLength(2);
    expect(a.frames()[0]).toMatchObject({ type: 'msg:A', cmid: 'c1' });
    expect(b.frames()[0]).toMatchObject({ type: 'msg:A', cmid: 'c2' });
    expect(proxy.stats).toMatchObject({ connections: 2, faults: 0 });
  });

  it('keeps the close code and reason of a server close (AUTH-2 4401) and of a client close', async () => {
    const { upstream, client } = await rig([]);
    const a = await client('alice');
    const up = await upstream.conn(1);
    up.ws.close(4401, 'auth-failed');
    expect(await a.closed).toEqual({ code: 4401, reason: 'auth-failed' });

    const b = await client('bob');
    const upB = await upstream.conn(2);
    b.ws.close(4000, 'bye');
    expect(await upB.closed).toEqual({ code: 4000, reason: 'bye' });
  });

  it('forwards a client that vanishes without a close frame as an abnormal close (1006)', async () => {
    const { upstream, client } = await rig([]);
    const a = await client('alice');
    const up = await upstream.conn(1);
    a.ws.terminate();
    expect((await up.closed).code).toBe(1006);
  });

  it('forwards pings to the target and its pongs back', async () => {
    const { client } = await rig([]);
    const a = await client();
    a.ws.ping(Buffer.from('are-you-there'));
    const [data] = (await once(a.ws, 'pong')) as [Buffer];
    expect(data.toString()).toBe('are-you-there');
  });

  it('passes binary messages through as binary', async () => {
    const { upstream, client } = await rig([]);
    const a = await client();
    const up = await upstream.conn(1);
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    a.msg(1);
    await up.waitFor(2);
    expect(up.received.map((r) => r.binary)).toEqual([true, false]);
  });

  it('forwards invalid UTF-8 untouched, so the target judges it (FRAME-2) and its close reaches the client', async () => {
    // A rule that never fires puts the proxy on its decoding path, which must also pass it on.
    const { proxy, client } = await rig([{ match: { op: 'ping' }, action: 'drop' }]);
    const a = await client();
    a.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    // The test upstream is a stock ws server: it refuses invalid UTF-8 with close code 1007.
    expect((await a.closed).code).toBe(1007);
    expect(proxy.stats.undecodable).toBe(1);
  });

  it('relays a refused handshake status and answers 502 when the target is down', async () => {
    const refusing = createServer();
    refusing.on('upgrade', (_req, socket: Socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'),
    );
    refusing.listen(0, '127.0.0.1');
    await once(refusing, 'listening');
    const p1 = await startWsProxy({ upstream: `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}` });
    const down = await startUpstream();
    const p2 = await startWsProxy({ upstream: down.url });
    await down.close();
    try {
      expect(await handshakeStatus(p1.url)).toBe(401);
      expect(await handshakeStatus(p2.url)).toBe(502);
    } finally {
      await p1.close();
      await p2.close();
      refusing.close();
    }
  });

  it('refuses stream rules and a non-ws upstream with a ConfigError that says what to do', async () => {
    await expect(
      startWsProxy({
        upstream: 'ws://127.0.0.1:1',
        rules: resolveFaultRules([{ action: { type: 'latency', by: 5 } }]),
      }),
    ).rejects.toThrow(ConfigError);
    await expect(startWsProxy({ upstream: 'http://127.0.0.1:1' })).rejects.toThrow(
      /must be a ws:\/\/ or wss:\/\/ URL/,
    );
  });

  it('keeps the client path and query on the way to the target', async () => {
    const { upstream, proxy } = await rig([]);
    const c = await connect(`${proxy.url}/ran?v=1`);
    const up = await upstream.conn(1);
    expect(up.path).toBe('/ran?v=1');
    c.ws.terminate();
  });
});

async function handshakeStatus(url: string): Promise<number> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
  ws.terminate();
  return res.statusCode;
}
