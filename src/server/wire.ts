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
 * Writing: the text frames of one tick are queued and leave at the end of the tick as ONE
 * buffer (their headers and payloads side by side) in one socket write; before ws writes
 * anything itself (a pong, a close frame), the queue is flushed, so the order on the wire is
 * the order of the calls. Frames sent once ws is no longer OPEN are dropped, as ws.send drops them.
 */

import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { readFrames } from '../ws-wire/ws-frames.js';

/** FIN + text opcode: every frame this server sends is one whole text message. */
const TEXT_FRAME = 0x81;

export type OnMessage = (data: Buffer, isBinary: boolean) => void;

/**
 * Wires with frames queued this tick, flushed together by ONE process.nextTick (one per
 * connection cost ~5% of the server's CPU outside the commit with 50 connections answered per batch).
 */
let dirty: ServerWire[] = [];

function flushDirty(): void {
  const wires = dirty;
  dirty = [];
  for (const wire of wires) wire.tick();
}

export class ServerWire {
  private queued: string[] = [];
  private queuedBytes = 0;
  private scheduled = false;

  /**
   * @param socket the TCP socket under `ws`; without one (never, from server.ts) everything
   *   goes through ws
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket | undefined,
    maxPayload: number,
    onMessage: OnMessage,
  ) {
    ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary));
    if (socket !== undefined) readFrames(ws, socket, true, maxPayload, onMessage, () => this.flush());
  }

  /** Queues one text frame; it leaves with the rest of this tick's frames. */
  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.socket === undefined) {
      this.ws.send(text);
      return;
    }
    this.queued.push(text);
    // An upper bound (UTF-8 takes at most 3 bytes per UTF-16 unit); exact at flush.
    this.queuedBytes += text.length;
    if (!this.scheduled) {
      this.scheduled = true;
      if (dirty.length === 0) process.nextTick(flushDirty);
      dirty.push(this);
    }
  }

  /** Bytes accepted and not yet handed to the kernel (queued here or in the socket). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  /** Writes what this tick queued, now: before ws writes to the socket, and before a close. */
  flush(): void {
    const texts = this.queued;
    if (texts.length === 0) return;
    this.queued = [];
    this.queuedBytes = 0;
    const socket = this.socket!;
    if (socket.destroyed || this.ws.readyState !== WebSocket.OPEN) return;
    socket.write(frames(texts));
  }

  /** @internal the end-of-tick flush */
  tick(): void {
    this.scheduled = false;
    this.flush();
  }
}

/** Server-to-client (unmasked) text frames of `texts`, in order, in one buffer. */
export function frames(texts: readonly string[]): Buffer {
  const lengths = new Array<number>(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = Buffer.byteLength(texts[i]!, 'utf8');
    lengths[i] = n;
    total += n + (n < 126 ? 2 : n < 65_536 ? 4 : 10);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = lengths[i]!;
    out[at++] = TEXT_FRAME;
    if (n < 126) {
      out[at++] = n;
    } else if (n < 65_536) {
      out[at++] = 126;
      out.writeUInt16BE(n, at);
      at += 2;
    } else {
      out[at++] = 127;
      out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
      out.writeUInt32BE(n >>> 0, at + 4);
      at += 8;
    }
    at += out.write(texts[i]!, at, n, 'utf8');
  }
  return out;
}
