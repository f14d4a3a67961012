/**
 * The bare `ws` client's login, the baseline the bots and load benches compare against: a
 * WebSocket with the ran.1 subprotocol (no compression) that sends hello:R as soon as it opens.
 */

import WebSocket from 'ws';
import { hmacToken } from '../../src/protocol/auth.js';

/**
 * Opens a connection for `user` (device d1) and sends hello:R with the token `secret` signs.
 * Resolves once it is sent; `first` settles with the server's first answer, so a caller can log
 * several clients in before waiting for any of them.
 */
export function bareLogin(
  url: string,
  user: string,
  secret: string,
): Promise<{ ws: WebSocket; first: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'ran.1', { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      const first = new Promise<void>((ok) => {
        ws.once('message', () => ok());
      });
      ws.send(
        JSON.stringify({
          type: 'hello:R',
          rid: 'h',
          user,
          device: 'd1',
          token: hmacToken(secret, user),
          lastSeq: 0,
        }),
      );
      resolve({ ws, first });
    });
  });
}

/** bareLogin, resolved once the server has answered the hello:R. */
export async function bareLoggedIn(url: string, user: string, secret: string): Promise<WebSocket> {
  const { ws, first } = await bareLogin(url, user, secret);
  await first;
  return ws;
}

/**
 * The body of message `i` of a bench exchange, the same for the bare client, the bots and the
 * load engine: 32 bytes, unique per message, like the scenario runner's generated bodies.
 */
export function exchangeBody(i: number): string {
  return `bench-${i.toString(36).padStart(8, '0')}-${'x'.repeat(17)}`;
}

/**
 * The bare receiver's side of the exchange: for the msg:N pushes on `ws`, one cumulative ack:R
 * per event-loop turn, up to the highest seq seen — the same coalescing as the bots.
 */
export function ackCumulatively(ws: WebSocket): void {
  let rid = 0;
  let maxSeq = 0;
  let ackQueued = false;
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Record<string, unknown>;
    if (f.type !== 'msg:N') return;
    if (typeof f.seq === 'number' && f.seq > maxSeq) maxSeq = f.seq;
    if (!ackQueued) {
      ackQueued = true;
      queueMicrotask(() => {
        ackQueued = false;
        ws.send(JSON.stringify({ type: 'ack:R', rid: `k${++rid}`, upTo: maxSeq }));
      });
    }
  });
}
