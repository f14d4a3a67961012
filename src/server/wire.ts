/**
 * The reference server's hot path for WebSocket data frames, on the connection's own socket.
 * Through `ws`, each request went through a Writable per socket (the Receiver), an event, and
 * each answer through ws's Sender (a header buffer, two writes, a callback list) and the
 * socket's corked write queue; together about half the server's CPU per accepted message
 * outside the commit (docs/server.md, "What remains between this server and Mosquitto").
 *
 * Reading: the whole, unfragmented, masked text or binary frames within maxPayload are read
 * here (src/ws-wire/ws-frames.ts, shared with the fault proxy); every other frame (ping, close,
 * fragments, anything ws would refuse, anything over maxPayload) still goes to ws, byte for
 * byte, which answers it as before (pong, close echo, 1002, 1009).
 *
 * Writing (src/ws-wire/text-out.ts, shared with the ran driver's client): the text frames of
 * one tick are queued and leave at the end of the tick as ONE buffer (their headers and payloads
 * side by side) in one socket write; before ws writes
 * anything itself (a pong, a close frame), the queue is flushed, so the order on the wire is
 * the order of the calls. Frames sent once ws is no longer OPEN are dropped, as ws.send drops them.
 */

import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { TextOut } from '../ws-wire/text-out.js';
import { readFrames } from '../ws-wire/ws-frames.js';

export type OnMessage = (data: Buffer, isBinary: boolean) => void;

export class ServerWire {
  /** Undefined without a socket (never, from server.ts): everything then goes through ws. */
  private readonly out: TextOut | undefined;

  /**
   * @param socket the TCP socket under `ws`; without one (never, from server.ts) everything
   *   goes through ws
   */
  constructor(
    private readonly ws: WebSocket,
    socket: Socket | undefined,
    maxPayload: number,
    onMessage: OnMessage,
  ) {
    ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary));
    if (socket === undefined) return;
    const out = new TextOut(ws, socket, false);
    this.out = out;
    readFrames(ws, socket, true, maxPayload, { frame: onMessage, beforeWs: () => out.flush() });
  }

  /** Queues one text frame; it leaves with the rest of this tick's frames. */
  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.out === undefined) this.ws.send(text);
    else this.out.send(text);
  }

  /** Bytes accepted and not yet handed to the kernel (queued here or in the socket). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + (this.out?.pending ?? 0);
  }

  /** Writes what this tick queued, now: before ws writes to the socket, and before a close. */
  flush(): void {
    this.out?.flush();
  }
}
