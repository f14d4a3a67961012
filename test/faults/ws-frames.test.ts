/**
 * The rule path reads data frames itself and hands ws everything else (src/ws-wire/ws-frames.ts). These run
 * the pass-through cases through a proxy with a rule that never fires (as the bench does), plus
 * what only raw bytes can show: a frame cut across TCP reads, a frame ws refuses.
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { wsFrame } from '../helpers/ws-frame.js';
import { useRig } from './rig.js';

const IDLE = [{ match: { user: 'nobody' }, action: 'drop' }];

/** A client speaking raw bytes after the handshake; `bytes` collects what the proxy sends it. */
async function rawClient(url: string): Promise<{ socket: Socket; bytes: () => Buffer }> {
  const socket = tcpConnect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  socket.write(
    [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: ran.1',
      '',
      '',
    ].join('\r\n'),
  );
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  while (!received.includes('\r\n\r\n')) await once(socket, 'data');
  expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  const headerEnd = received.indexOf('\r\n\r\n') + 4;
  return { socket, bytes: () => received.subarray(headerEnd) };
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('ws proxy rule path: frames read by the proxy', () => {
  const rig = useRig();

  it('passes texts of every length encoding both ways unchanged (7-bit, 16-bit, 64-bit lengths)', async () => {
    const { upstream, client } = await rig(IDLE);
    const a = await client();
    const up = await upstream.conn(1);
    const texts = [0, 1, 125, 126, 65535, 65536, 200_000].map((n, i) => String(i).repeat(n));
    for (const t of texts) a.send(t);
    await up.waitFor(texts.length);
    expect(up.texts()).toEqual(texts);
    for (const t of texts) up.ws.send(t);
    await a.waitFor(texts.length);
    expect(a.texts()).toEqual(texts);
  });

  it('hands ws a fragmented message, pings among its fragments, and reads the frames after it again', async () => {
    const { upstream, client, proxy } = await rig(IDLE);
    const a = await client();
    const up = await upstream.conn(1);
    a.ws.send('frag', { fin: false });
    a.ws.ping(Buffer.from('between'));
    a.ws.send('ment', { fin: true });
    a.msg(1);
    await up.waitFor(2);
    await a.waitFor(1);
    expect(up.texts()[0]).toBe('fragment');
    expect(JSON.parse(up.texts()[1]!)).toMatchObject({ type: 'msg:R', cmid: 'c1' });
    expect(proxy.stats.toServer).toBe(2); // the assembled message, msg:R
  });

  it('keeps close codes, pings and binary messages as the no-rule path does', async () => {
    const { upstream, client } = await rig(IDLE);
    const a = await client('alice');
    const up = await upstream.conn(1);
    a.ws.send(Buffer.from([0, 1, 2, 255]));
    await up.waitFor(2);
    expect(up.received[1]?.binary).toBe(true);
    a.ws.ping(Buffer.from('ping?'));
    const [pong] = (await once(a.ws, 'pong')) as [Buffer];
    expect(pong.toString()).toBe('ping?');
    up.ws.close(4401, 'auth-failed');
    expect(await a.closed).toEqual({ code: 4401, reason: 'auth-failed' });
  });

  it('joins a frame cut across TCP reads, at the header and in the payload', async () => {
    const { upstream, proxy } = await rig(IDLE);
    const raw = await rawClient(proxy.url);
    const up = await upstream.conn(1);
    const first = wsFrame(Buffer.from(JSON.stringify({ type: 'ping:R', rid: 'p1' })));
    const second = wsFrame(Buffer.from('x'.repeat(300)));
    const bytes = Buffer.concat([first, second]);
    // One byte, then the rest of the first header and part of its payload, then the rest.
    for (const [from, to] of [
      [0, 1],
      [1, 9],
      [9, first.length + 3],
      [first.length + 3, bytes.length],
    ] as const) {
      raw.socket.write(bytes.subarray(from, to));
      await pause();
    }
    await up.waitFor(2);
    expect(up.texts()).toEqual([JSON.stringify({ type: 'ping:R', rid: 'p1' }), 'x'.repeat(300)]);
    raw.socket.destroy();
  });

  it('leaves a frame ws refuses (unmasked from a client) to ws, which closes with 1002; nothing reaches the target', async () => {
    const { upstream, proxy } = await rig(IDLE);
    const raw = await rawClient(proxy.url);
    const up = await upstream.conn(1);
    raw.socket.write(
      Buffer.concat([wsFrame(Buffer.from('unmasked'), { mask: false }), wsFrame(Buffer.from('after'))]),
    );
    await once(raw.socket, 'close');
    const out = raw.bytes();
    expect(out[0]).toBe(0x88); // a close frame
    expect(out.readUInt16BE(2)).toBe(1002);
    await up.closed;
    expect(up.texts()).toEqual([]);
  });

  it('keeps the order of one read: data frames queued for one write, a ping ws forwards, a frame a rule spoils', async () => {
    const { upstream, proxy } = await rig([
      { match: { op: 'ping', kind: 'R' }, nth: 2, action: { type: 'corrupt' } },
    ]);
    const raw = await rawClient(proxy.url);
    const up = await upstream.conn(1);
    const seen: string[] = [];
    up.ws.on('ping', (data: Buffer) => seen.push(`ping ${data.toString()}`));
    up.ws.on('message', (data: Buffer) => seen.push(data.toString()));
    const ping = (rid: string) => JSON.stringify({ type: 'ping:R', rid });
    // All in one write, so the proxy reads them in one chunk: a and c leave as they came, b as
    // the rule spoils it (json: its closing brace cut), the ping through ws, d read by ws.
    raw.socket.write(
      Buffer.concat([
        wsFrame(Buffer.from(ping('a'))),
        wsFrame(Buffer.from(ping('b'))),
        wsFrame(Buffer.from(ping('c'))),
        wsFrame(Buffer.from('between'), { opcode: 0x9 }),
        wsFrame(Buffer.from(ping('d'))),
      ]),
    );
    await up.waitFor(4);
    expect(seen).toEqual([ping('a'), ping('b').slice(0, -1), ping('c'), 'ping between', ping('d')]);
    raw.socket.destroy();
  });
});
