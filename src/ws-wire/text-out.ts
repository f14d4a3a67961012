/**
 * Writing WebSocket text frames on a connection's own socket, for the two ends that send many
 * small frames: the reference server (src/server/wire.ts) and the ran driver's client (a load
 * bot; src/drivers/ran/wire.ts). Through ws's Sender each frame was a header buffer, a copy of the
 * text (and, from a client, its masking), two writes into the socket's corked queue and a writev
 * of all of them at the tick's end. Here the texts of one tick are queued and leave at the end of
 * the tick as ONE buffer (headers and payloads side by side, masked from a client) in one socket
 * write, with one process.nextTick for every connection that queued something.
 *
 * Whoever else writes to the socket (ws answering a ping, ws's close frame) must `flush()` first,
 * so the order on the wire is the order of the calls. Texts queued once ws is no longer OPEN are
 * dropped at the flush, as ws.send drops them.
 */

import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { applyMask } from './ws-frames.js';

/** FIN + text opcode: every frame written here is one whole text message. */
const TEXT_FRAME = 0x81;
const MASK = 0x80;

/** Connections with texts queued this tick, flushed together by one process.nextTick. */
let dirty: TextOut[] = [];

function flushDirty(): void {
  const outs = dirty;
  dirty = [];
  for (const out of outs) out.tick();
}

export class TextOut {
  /** Undefined while nothing waits: no array held by each idle connection. */
  private queued: string[] | undefined;
  private queuedBytes = 0;
  private scheduled = false;

  /** @param masked the peer is a server, so frames are masked (RFC 6455 section 5.3) */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly masked: boolean,
  ) {}

  /** Queues one text frame; it leaves with the rest of this tick's frames. */
  send(text: string): void {
    if (this.queued === undefined) this.queued = [text];
    else this.queued.push(text);
    // An upper bound (UTF-8 takes at most 3 bytes per UTF-16 unit); exact at flush.
    this.queuedBytes += text.length;
    if (!this.scheduled) {
      this.scheduled = true;
      if (dirty.length === 0) process.nextTick(flushDirty);
      dirty.push(this);
    }
  }

  /** Text accepted and not yet handed to the socket (UTF-16 units, an upper bound of bytes / 3). */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Writes what this tick queued, now: before anyone else writes to the socket. */
  flush(): void {
    const texts = this.queued;
    if (texts === undefined) return;
    this.queued = undefined;
    this.queuedBytes = 0;
    if (this.socket.destroyed || this.ws.readyState !== WebSocket.OPEN) return;
    this.socket.write(textFrames(texts, this.masked));
  }

  /** Forgets what is queued (the connection is being dropped). */
  discard(): void {
    this.queued = undefined;
    this.queuedBytes = 0;
  }

  /** @internal the end-of-tick flush */
  tick(): void {
    this.scheduled = false;
    this.flush();
  }
}

/** Random bytes for masking keys, drawn in blocks (ws does the same): one syscall per 2048 frames. */
const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

/** Text frames of `texts`, in order, in one buffer: unmasked (a server's) or masked (a client's). */
export function textFrames(texts: readonly string[], masked: boolean): Buffer {
  const lengths = new Array<number>(texts.length);
  let total = 0;
  const keyBytes = masked ? 4 : 0;
  for (let i = 0; i < texts.length; i++) {
    const n = Buffer.byteLength(texts[i]!, 'utf8');
    lengths[i] = n;
    total += n + keyBytes + (n < 126 ? 2 : n < 65_536 ? 4 : 10);
  }
  const out = Buffer.allocUnsafe(total);
  const maskBit = masked ? MASK : 0;
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = lengths[i]!;
    out[at++] = TEXT_FRAME;
    if (n < 126) {
      out[at++] = maskBit | n;
    } else if (n < 65_536) {
      out[at++] = maskBit | 126;
      out.writeUInt16BE(n, at);
      at += 2;
    } else {
      out[at++] = maskBit | 127;
      out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
      out.writeUInt32BE(n >>> 0, at + 4);
      at += 8;
    }
    if (!masked) {
      at += out.write(texts[i]!, at, n, 'utf8');
      continue;
    }
    if (poolAt === POOL_SIZE) {
      randomFillSync(pool);
      poolAt = 0;
    }
    // The key before the payload, as in the frame; then the payload masked in place.
    pool.copy(out, at, poolAt, poolAt + 4);
    poolAt += 4;
    at += 4;
    const start = at;
    at += out.write(texts[i]!, at, n, 'utf8');
    applyMask(out, start, at, out, start);
  }
  return out;
}
