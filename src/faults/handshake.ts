/**
 * Handshake answers both proxies relay to their client when the target refuses or cannot be
 * reached, so a client behind a proxy sees what it would see talking to the target directly.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The target refused the upgrade (401, 404, …): the client gets the same status and body. */
export function relayRefusedHandshake(res: IncomingMessage, socket: Duplex): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => {
    if (chunks.length < 64) chunks.push(c);
  });
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    socket.end(
      `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.toString('latin1')}`,
      'latin1',
    );
  });
  res.on('error', () => socket.destroy());
}

/** No target answered: 502, unless the upgrade already went through. */
export function answerBadGateway(socket: Duplex): void {
  if (socket.writable)
    socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}
