/**
 * The server's own framing of answers (src/server/wire.ts): what it writes is what a ws client
 * reads, a tick's frames leave in one socket write, and nothing is written once ws is not open.
 */

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ServerWire } from '../../src/server/wire.js';
import { readWithWs } from '../helpers/ws-frame.js';
import { useFixture } from './fixture.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  writes: Buffer[] = [];
  write(data: Buffer): boolean {
    this.writes.push(data);
    return true;
  }
}

class FakeWs extends EventEmitter {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
}

function wire() {
  const socket = new FakeSocket();
  const ws = new FakeWs();
  // No 'data' listener of ws on the fake socket: reading stays with ws, writing is the wire's.
  const w = new ServerWire(ws as unknown as WebSocket, socket as unknown as Socket, 65_536, () => {});
  return { socket, ws, w };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('server wire', () => {
  const fx = useFixture();

  it("writes one tick's frames in one socket write, in order", async () => {
    const { socket, w } = wire();
    w.send('{"n":1}');
    w.send('{"n":2}');
    w.send('{"n":3}');
    expect(socket.writes).toHaveLength(0);
    expect(w.bufferedAmount).toBeGreaterThanOrEqual(21);
    await tick();
    expect(socket.writes).toHaveLength(1);
    expect(readWithWs(socket.writes[0]!, false)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(w.bufferedAmount).toBe(0);
  });

  it('flush writes at once (before a close frame); nothing is written once ws is not open', async () => {
    const { socket, ws, w } = wire();
    w.send('{"n":1}');
    w.flush();
    expect(socket.writes).toHaveLength(1);
    ws.readyState = WebSocket.CLOSING;
    w.send('{"n":2}');
    await tick();
    expect(socket.writes).toHaveLength(1);
  });

  it('drops what was queued when ws closes before the end of the tick', async () => {
    const { socket, ws, w } = wire();
    w.send('{"n":1}');
    ws.readyState = WebSocket.CLOSED;
    await tick();
    expect(socket.writes).toHaveLength(0);
  });

  it('frames the server does not read itself still reach ws: a ping is ponged, a fragmented request answered', async () => {
    const server = await fx.start();
    const c = await fx.login(server, 'alice', 'd1');
    const pong = new Promise<string>((resolve) =>
      c.ws.once('pong', (data: Buffer) => resolve(data.toString())),
    );
    c.ws.ping('are-you-there');
    expect(await pong).toBe('are-you-there');
    // One ping:R in two fragments: ws assembles them; the answer comes as for a whole frame.
    const text = JSON.stringify({ type: 'ping:R', rid: 'frag' });
    c.ws.send(text.slice(0, 10), { fin: false });
    c.ws.send(text.slice(10), { fin: true });
    expect((await c.next('ping:A')).rid).toBe('frag');
    // A whole frame right after still goes the server's own way.
    const answer = await c.request({ type: 'msg:R', cmid: 'c1', to: 'bob', body: 'hi' });
    expect(answer.type).toBe('msg:A');
  });
});
