/**
 * The no-rule path of the WebSocket proxy: after both handshakes, the two TCP connections are
 * piped to each other byte for byte. Nothing is parsed, unmasked or re-framed — which is valid
 * because the client's frames are masked as the target (a server) expects, the target's frames
 * are unmasked as the client expects, and no extension is negotiated on either side. This is what
 * keeps a rule-less proxy within the performance budget (`npm run bench`, section "proxy"):
 * parsing and re-framing every message costs more than half the throughput of a bare client.
 */

import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { answerBadGateway, relayRefusedHandshake } from './handshake.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function accept(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Hop-by-hop and handshake headers set here; the rest of the client's headers go to the target. */
const OWN_HEADERS = new Set([
  'host',
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
]);

export interface TunnelHooks {
  /** A tunnel is up (both handshakes done). */
  opened(client: Socket, upstream: Socket): void;
}

/**
 * Completes the upgrade of `req` by first opening the same upgrade to `target`, then answering
 * the client with the target's subprotocol choice, then piping. A refused handshake is relayed
 * with its status; an unreachable target is answered 502.
 */
export function tunnel(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  target: URL,
  hooks: TunnelHooks,
): void {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const upstreamKey = randomBytes(16).toString('base64');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!OWN_HEADERS.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  Object.assign(headers, {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': upstreamKey,
    'sec-websocket-version': '13',
  });
  const up = httpRequest({
    host: target.hostname,
    port: target.port || 80,
    path: `${target.pathname}${target.search}`,
    method: 'GET',
    headers,
  });
  let upgraded = false;
  const abandon = () => {
    if (!upgraded) up.destroy();
  };
  socket.once('close', abandon);
  up.on('upgrade', (res: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
    upgraded = true;
    socket.off('close', abandon);
    if (res.headers['sec-websocket-accept'] !== accept(upstreamKey) || socket.destroyed) {
      upSocket.destroy();
      if (!socket.destroyed)
        socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept(key)}`,
    ];
    const protocol = res.headers['sec-websocket-protocol'];
    if (typeof protocol === 'string') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    upSocket.setNoDelay(true);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    // A reset on one side is passed on as a reset, so a crashed peer still looks crashed (1006).
    const onError = (other: Socket) => (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') other.resetAndDestroy();
      else other.destroy();
    };
    socket.on('error', onError(upSocket));
    upSocket.on('error', onError(socket));
    socket.on('close', () => upSocket.destroy());
    upSocket.on('close', () => socket.destroy());
    socket.pipe(upSocket);
    upSocket.pipe(socket);
    hooks.opened(socket, upSocket);
  });
  up.on('response', (res: IncomingMessage) => relayRefusedHandshake(res, socket));
  up.on('error', () => {
    if (!upgraded) answerBadGateway(socket);
  });
  up.end();
}
