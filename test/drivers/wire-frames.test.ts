/**
 * The ran driver's Wire reads whole data frames off the socket itself and hands ws every other
 * frame (src/ws-wire/ws-frames.ts). These drive a real client Wire from a raw TCP server that
 * writes WebSocket frames byte by byte as a server would, so what only raw bytes can show is
 * shown: frames cut across TCP reads, several in one read, a fragmented message with a ping among
 * its fragments between whole frames, binary and non-UTF-8 frames, a frame ws must refuse.
 */

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openSocket, Wire } from '../../src/drivers/ran/wire.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import { readWithWs, wsFrame } from '../helpers/ws-frame.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A frame as a server writes it (unmasked), or masked, as no server may. */
const serverFrame = (
  payload: Buffer | string,
  opts: { opcode?: number; fin?: boolean; mask?: boolean } = {},
) => wsFrame(payload, { mask: false, ...opts });

/** A TCP server that accepts one WebSocket handshake and then speaks raw bytes. */
async function rawServer(): Promise<{
  url: string;
  peer: Promise<{ socket: Socket; received: () => Buffer }>;
  server: Server;
}> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const peer = new Promise<{ socket: Socket; received: () => Buffer }>((resolve) => {
    server.once('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      let head = Buffer.alloc(0);
      let after = Buffer.alloc(0);
      let upgraded = false;
      socket.on('data', (chunk: Buffer) => {
        if (upgraded) {
          after = Buffer.concat([after, chunk]);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        const key = /sec-websocket-key: *(\S+)/i.exec(head.subarray(0, end).toString('latin1'))![1]!;
        const accept = createHash('sha1')
          .update(key + GUID)
          .digest('base64');
        socket.write(
          [
            'HTTP/1.1 101 Switching Protocols',
            'Upgrade: websocket',
            'Connection: Upgrade',
            `Sec-WebSocket-Accept: ${accept}`,
            'Sec-WebSocket-Protocol: ran.1',
            '',
            '',
          ].join('\r\n'),
        );
        resolve({ socket, received: () => after });
      });
    });
  });
  return { url: `ws://127.0.0.1:${port}`, peer, server };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A client Wire connected to a raw server; `inbound()` lists what it recorded from the server. */
async function connected() {
  const raw = await rawServer();
  servers.push(raw.server);
  const history = new History();
  const ws = await openSocket(raw.url, 2000);
  const wire = new Wire(ws, 'alice/phone', history);
  const { socket, received } = await raw.peer;
  const inbound = () => history.events.filter((e): e is FrameEvent => e.kind === 'frame' && e.dir === 'in');
  const until = async (n: number) => {
    for (let i = 0; i < 200 && inbound().length < n; i++) await new Promise((r) => setTimeout(r, 5));
    return inbound();
  };
  return { wire, socket, received, inbound, until };
}

const pong = (t: string) => `{"type":"pong:${t}"}`;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ran client wire: frames read off the socket', () => {
  it('records texts of every length encoding, several in one read, in order and exactly', async () => {
    const c = await connected();
    const texts = [
      pong('a'),
      `{"type":"x","pad":"${'y'.repeat(300)}"}`,
      `{"type":"x","pad":"${'z'.repeat(70_000)}"}`,
    ];
    c.socket.write(Buffer.concat(texts.map((t) => serverFrame(t))));
    const got = await c.until(3);
    // The history keeps the head of an over-long invalid frame (these are not RAN/1 frames) and
    // says how long it was: compare heads, and the length it names.
    expect(got.map((e) => e.raw.slice(0, 40))).toEqual(texts.map((t) => t.slice(0, 40)));
    expect(got[1]!.raw).toBe(texts[1]);
    expect(got[2]!.raw).toContain(`${texts[2]!.length} characters`);
    c.wire.abort();
  });

  it('joins a frame cut across TCP reads, in its header and in its payload', async () => {
    const c = await connected();
    const long = `{"type":"x","pad":"${'q'.repeat(1000)}"}`;
    const bytes = Buffer.concat([serverFrame(pong('1')), serverFrame(long), serverFrame(pong('3'))]);
    // Cuts: inside the second frame's 16-bit length, inside its payload, inside the third's header.
    const first = serverFrame(pong('1')).length;
    for (const [from, to] of [
      [0, first + 3],
      [first + 3, first + 500],
      [first + 500, bytes.length - 2],
      [bytes.length - 2, bytes.length],
    ] as const) {
      c.socket.write(bytes.subarray(from, to));
      await delay(15);
    }
    const got = await c.until(3);
    expect(got.map((e) => e.raw)).toEqual([pong('1'), long, pong('3')]);
    c.wire.abort();
  });

  it('keeps order around a fragmented message with a ping among its fragments, and answers the ping', async () => {
    const c = await connected();
    c.socket.write(serverFrame(pong('before')));
    await delay(15);
    c.socket.write(
      Buffer.concat([
        serverFrame('{"type":"po', { fin: false }),
        serverFrame('hi', { opcode: 0x9 }),
        serverFrame('ng:frag"}', { opcode: 0 }),
        serverFrame(pong('same-read')),
      ]),
    );
    await delay(15);
    c.socket.write(serverFrame(pong('after')));
    const got = await c.until(4);
    expect(got.map((e) => e.raw)).toEqual([pong('before'), pong('frag'), pong('same-read'), pong('after')]);
    // The pong went back: a masked frame with opcode 0xA carrying "hi".
    for (let i = 0; i < 100 && c.received().length < 8; i++) await delay(5);
    const answer = c.received();
    expect(answer[0]).toBe(0x8a);
    expect(answer[1]).toBe(0x80 | 2);
    const key = answer.subarray(2, 6);
    expect(Buffer.from([answer[6]! ^ key[0]!, answer[7]! ^ key[1]!]).toString()).toBe('hi');
    c.wire.abort();
  });

  it('flags a binary frame and a frame that is not UTF-8 instead of dropping them', async () => {
    const c = await connected();
    c.socket.write(
      Buffer.concat([
        serverFrame(Buffer.from([1, 2, 3]), { opcode: 2 }),
        serverFrame(Buffer.from([0x7b, 0xff, 0x7d])),
        serverFrame(pong('ok')),
      ]),
    );
    const got = await c.until(3);
    expect(got[0]!.invalid).toMatch(/binary message/);
    expect(got[1]!.invalid).toMatch(/not valid UTF-8/);
    expect(got[2]!.raw).toBe(pong('ok'));
    expect(got[2]!.invalid ?? '').not.toMatch(/binary|UTF-8/);
    c.wire.abort();
  });

  it('leaves a masked frame (no server may send one) to ws, which closes with 1002 and records nothing of it', async () => {
    const c = await connected();
    c.socket.write(Buffer.concat([serverFrame(pong('fine')), serverFrame(pong('masked'), { mask: true })]));
    const closed = await c.wire.closed;
    expect(c.inbound().map((e) => e.raw)).toEqual([pong('fine')]);
    // ws answers a protocol error with a close frame carrying 1002 before it drops the socket.
    const bytes = c.received();
    const close = bytes.indexOf(0x88);
    expect(close).toBeGreaterThanOrEqual(0);
    const key = bytes.subarray(close + 2, close + 6);
    const code = ((bytes[close + 6]! ^ key[0]!) << 8) | (bytes[close + 7]! ^ key[1]!);
    expect(code).toBe(1002);
    expect(closed.initiator).not.toBe('client');
  });

  it("sends a tick's frames in order, before the close frame of a close in the same tick", async () => {
    const c = await connected();
    const sent = [1, 2, 3].map((n) => ({ type: 'ping:R', rid: `r${n}` }) as never);
    for (const frame of sent) expect(c.wire.sendFrame(frame)).toBe(true);
    const closing = c.wire.close();
    for (let i = 0; i < 200 && !c.received().includes(0x88); i++) await delay(5);
    const bytes = c.received();
    const close = bytes.lastIndexOf(0x88);
    expect(close).toBeGreaterThan(0);
    expect(readWithWs(bytes.subarray(0, close), true)).toEqual(sent.map((f) => JSON.stringify(f)));
    c.socket.destroy();
    await closing;
  });
});
