/**
 * A hostile RAN/1 client that costs its own process almost nothing: a raw TCP socket that does
 * the WebSocket upgrade by hand, then writes one pre-built buffer of masked malformed frames again
 * and again (pipelined, with backpressure) and reads and discards whatever comes back. Many of
 * them make the server do as much per-frame work as the client can cause.
 */

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One masked WebSocket text frame (clients must mask, RFC 6455 5.3). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.alloc(4);
  if (n >= 126) {
    if (n > 0xffff) throw new Error('frames above 64 KiB are not needed here');
    header[0] = 0x81;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(n, 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/**
 * The malformed frames, each expensive in its own way: an object with thousands of keys (the
 * schema must look at each), deep nesting, invalid JSON, unknown members, requests before hello.
 */
export function malformedBatch(copies = 1): Buffer {
  const keys = `{${Array.from({ length: 6000 }, (_, i) => `"k${i}":1`).join(',')},"type":"msg:R"}`;
  const texts = [
    keys,
    `${'['.repeat(2000)}${']'.repeat(2000)}`,
    '{"type":"msg:R","rid":"x","cmid":',
    JSON.stringify({ type: 'msg:R', rid: 'h', cmid: 'c', to: 'bob', body: 'x', extra: 1 }),
    JSON.stringify({ type: 'sync:R', rid: 's', after: 0, limit: 10 }),
    'not json at all',
  ];
  const one = Buffer.concat(texts.map(maskedTextFrame));
  return Buffer.concat(Array.from({ length: copies }, () => one));
}

export interface Flooder {
  /** Frames' bytes written so far. */
  written(): number;
  stop(): void;
}

/** Opens a raw connection to `url` (ws://host:port), upgrades it, and pipelines `batch` until stopped. */
export function flood(url: string, batch: Buffer): Promise<Flooder> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    let written = 0;
    let stopped = false;
    const pump = () => {
      while (!stopped && socket.writable) {
        written += batch.length;
        if (!socket.write(batch)) return; // resumed on 'drain'
      }
    };
    socket.on('error', () => {}); // the server may drop us: that is its right
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          'Sec-WebSocket-Protocol: ran.1\r\n\r\n',
      );
    });
    let head = '';
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        socket.destroy();
        return;
      }
      socket.on('data', () => {}); // read and discard the answers, as a pipelining client does
      socket.on('drain', pump);
      pump();
      resolve({
        written: () => written,
        stop: () => {
          stopped = true;
          socket.destroy();
        },
      });
    };
    socket.on('data', onHead);
    socket.once('close', () => {
      stopped = true;
    });
  });
}
