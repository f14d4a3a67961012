/**
 * The server section's floors: a server that answers every msg:R with a fixed msg:A and stand-in
 * ack:N — the same frames the reference server sends back — without parsing, checking, storing or
 * syncing anything. It is what a Node.js WebSocket server pays on this machine to receive a frame
 * and answer it, so the durable server's figure reads against it as well as against Mosquitto (C,
 * no fsync): a gap to Mosquitto that the floor shares is the platform's, not the server's.
 *
 * Two transports:
 * - `ws`: the `ws` library's reader and sender, as any Node.js WebSocket server has them;
 * - `wire`: the reference server's own transport (src/server/wire.ts: frames read and written on
 *   the socket, one write per connection per tick, the upgrade as server.ts does it), so the floor
 *   pays exactly what the durable server pays to move its frames.
 */

import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { DEFAULT_LIMITS } from '../../src/server/options.js';
import { ServerWire } from '../../src/server/wire.js';

const MSG_A = '{"type":"msg:A","rid":"r","cmid":"c","smid":"s","ts":0}';
const ACK_N = '{"type":"ack:N","cmid":"c","smid":"s","to":"r","state":"stored"}';
const HELLO_A = '{"type":"hello:A","rid":"h"}';

export type FloorTransport = 'ws' | 'wire';

export interface FloorServer {
  url: string;
  close(): Promise<void>;
}

/** The answers to one received frame: the first frame is hello:R, everything after it a msg:R. */
function answer(data: Buffer, send: (text: string) => void): void {
  if (data[9] === 0x68 /* the "h" of {"type":"hello:R" */) {
    send(HELLO_A);
    return;
  }
  send(MSG_A);
  send(ACK_N);
}

export async function startFloorServer(transport: FloorTransport): Promise<FloorServer> {
  const wss = new WebSocketServer({ noServer: true, clientTracking: true, perMessageDeflate: false });
  const http = createServer();
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (transport === 'ws') {
        ws.on('message', (data: Buffer) => answer(data, (text) => ws.send(text)));
        return;
      }
      // ServerWire hands every frame it reads itself, and any that ws reads, to one callback.
      const wire: ServerWire = new ServerWire(ws, socket, DEFAULT_LIMITS.maxFrameBytes, (data) =>
        answer(data, (text) => wire.send(text)),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
