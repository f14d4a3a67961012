/**
 * The server section's floor: a bare `ws` server that answers every msg:R with a fixed msg:A and
 * stand-in ack:N — the same frames the reference server sends back — without parsing, checking,
 * storing or syncing anything. It is what any Node.js WebSocket server pays on this machine to
 * receive a frame and answer it, so the durable server's figure reads against it as well as
 * against Mosquitto (C, no fsync): a gap to Mosquitto that the floor shares is the platform's,
 * not the server's.
 */

import { WebSocketServer } from 'ws';

const MSG_A = '{"type":"msg:A","rid":"r","cmid":"c","smid":"s","ts":0}';
const ACK_N = '{"type":"ack:N","cmid":"c","smid":"s","to":"r","state":"stored"}';

export interface FloorServer {
  url: string;
  close(): Promise<void>;
}

export async function startFloorServer(): Promise<FloorServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      // The first frame is hello:R; everything after it a msg:R.
      if (data[9] === 0x68 /* the "h" of {"type":"hello:R" */) {
        ws.send('{"type":"hello:A","rid":"h"}');
        return;
      }
      ws.send(MSG_A);
      ws.send(ACK_N);
    });
  });
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
