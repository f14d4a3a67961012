/**
 * Reading WebSocket data frames off a socket under `ws`, for the two places where ws's own
 * reader (a Writable per socket, views, events) costs more than the work around it: the fault
 * proxy's rule path (src/faults/ws-proxy.ts), and the reference server's hot path
 * (src/server/wire.ts). ws reading every message and framing it again on the way out cost the
 * rule path about twice what the rules themselves cost. Read here are the frames that can be
 * taken as they came: whole, unfragmented text or binary frames that ws would accept (no RSV
 * bit, masked exactly when the peer is a client, within maxPayload). The proxy forwards their
 * bytes as received unless a rule changes the payload: a client's frames are masked as the
 * target expects, the target's unmasked as the client expects (no extension is negotiated).
 *
 * Every other frame — control frames (ping, pong, close), fragments, anything ws would refuse —
 * is handed to ws's own reader, byte for byte from its first byte to its last, so ws answers it
 * exactly as before (a close mirrored with its code, a protocol error closed with 1002, a
 * fragmented message delivered whole as a 'message'). After a close frame, a reader error or
 * the socket's close, ws stops reading the socket, and so does this.
 */

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Who a reader hands its frames to. An object with methods rather than two callbacks: a load
 * bot's connection is its own sink, with no closure per connection.
 */
export interface FrameSink {
  /** One data frame read here: its payload (unmasked) and its bytes as they arrived. */
  frame(payload: Buffer, binary: boolean, wire: Buffer): void;
  /** Called before ws reads bytes: what ws writes in answer (a forwarded ping, a close) must follow what was sent before. */
  beforeWs(): void;
}

const FIN = 0x80;
const RSV = 0x70;
const OPCODE = 0x0f;
const MASK = 0x80;
const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
/** ws refuses a 64-bit length above 2^53 - 1: its high word must fit in 21 bits. */
const MAX_HIGH_WORD = 2 ** 21 - 1;

/** Where a socket and its WebSocket keep their FrameReader, for the shared listeners below. */
const READER = Symbol('imspec.frameReader');
type Holder = { [READER]?: FrameReader };

/**
 * Takes the socket's 'data' listener over from ws. `masked`: the peer is a client (its frames
 * must be masked); `maxPayload`: ws's limit (0: none). Leaves ws reading when the socket does
 * not have exactly ws's one listener.
 */
export function readFrames(
  ws: WebSocket,
  socket: Socket,
  masked: boolean,
  maxPayload: number,
  sink: FrameSink,
): void {
  const listeners = socket.listeners('data');
  if (listeners.length !== 1) return;
  const wsRead = listeners[0] as (chunk: Buffer) => void;
  socket.removeListener('data', wsRead);
  const reader = new FrameReader(socket, wsRead, masked, maxPayload, sink);
  (socket as Holder)[READER] = reader;
  (ws as Holder)[READER] = reader;
  // Shared functions that find the reader on their emitter, and `on` rather than `once`: closures
  // per connection, and once's wrapper and state per listener, were ~550 B of each of tens of
  // thousands of load bots' connections (heap of a logged-in load bot: 5.6 KiB with closures,
  // 5.1 with this, 4.9 with ws reading everything itself).
  ws.on('error', detachReader);
  ws.on('close', detachReader);
  socket.on('data', readerData);
}

function readerData(this: object, chunk: Buffer): void {
  (this as Holder)[READER]!.data(chunk);
}

function detachReader(this: object): void {
  const reader = (this as Holder)[READER];
  if (reader !== undefined) reader.detached = true;
}

/** One socket's reader: its state in fields, no closures (see readFrames). */
class FrameReader {
  /** After ws's error or close: ws reads nothing more, and neither does this. */
  detached = false;
  /**
   * The start of a frame read here whose end has not arrived, in the chunks that brought it,
   * joined once `need` bytes are in (joining on every chunk would copy a long frame over and
   * over). `need` is 0 while the frame's header is itself incomplete. Undefined when empty (no
   * array per idle connection).
   */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  private need = 0;
  /** Bytes ws is still owed of the frame it is reading. */
  private owed = 0;
  /** Inside a fragmented message: ws reads every frame until the message's last. */
  private fragmented = false;
  /** The frame ws is reading is a close frame: after it, ws reads nothing more. */
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly wsRead: (chunk: Buffer) => void,
    private readonly masked: boolean,
    private readonly maxPayload: number,
    private readonly sink: FrameSink,
  ) {}

  data(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) {
      this.read(chunk);
      return;
    }
    pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.need) return;
    const buf = Buffer.concat(pending, this.pendingBytes);
    this.pending = undefined;
    this.pendingBytes = 0;
    this.read(buf);
  }

  private toWs(bytes: Buffer): void {
    if (this.detached) return;
    this.sink.beforeWs();
    this.wsRead.call(this.socket, bytes);
  }

  private read(buf: Buffer): void {
    this.need = 0;
    let at = 0;
    // Once ws reads a frame of a chunk, it reads the rest of the chunk too: it may refuse that
    // frame, and then reads nothing after it (it says so, with an 'error', only ticks later).
    let wsReads = false;
    const masked = this.masked;
    const maxPayload = this.maxPayload;
    while (at < buf.length && !this.detached) {
      if (this.owed > 0) {
        const n = Math.min(this.owed, buf.length - at);
        this.owed -= n;
        this.toWs(buf.subarray(at, at + n));
        at += n;
        wsReads = true;
        if (this.owed === 0 && this.closing) this.detached = true;
        continue;
      }
      const left = buf.length - at;
      if (left < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (left < 4) break;
        length = buf.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (left < 10) break;
        const high = buf.readUInt32BE(at + 2);
        // Too long for ws: hand it over, whatever the rest says (ws refuses it from its header).
        length = high > MAX_HIGH_WORD ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + buf.readUInt32BE(at + 6);
        header = 10;
      }
      const hasMask = (b1 & MASK) !== 0;
      if (hasMask) header += 4;
      const opcode = b0 & OPCODE;
      const ours =
        !wsReads &&
        !this.fragmented &&
        (b0 & FIN) !== 0 &&
        (b0 & RSV) === 0 &&
        (opcode === TEXT || opcode === BINARY) &&
        hasMask === masked &&
        (maxPayload === 0 || length <= maxPayload);
      if (!ours) {
        // A fragment opens (or continues) a message ws assembles; its final frame ends it.
        if (opcode === TEXT || opcode === BINARY || opcode === 0) this.fragmented = (b0 & FIN) === 0;
        // The header is complete (a partial one waits in `pending`), so ws sees frames whole
        // from their start, as if it read the socket itself.
        this.closing = opcode === CLOSE;
        this.owed = header + length;
        continue;
      }
      if (left < header + length) {
        this.need = header + length;
        break;
      }
      const start = at + header;
      at = start + length;
      this.sink.frame(
        masked ? unmasked(buf, start, at) : buf.subarray(start, at),
        opcode === BINARY,
        buf.subarray(start - header, at),
      );
    }
    if (at < buf.length && !this.detached) {
      this.pending = [buf.subarray(at)];
      this.pendingBytes = buf.length - at;
    }
  }
}

/**
 * Wire frames bound for one socket, written as few times as possible: frames forwarded in order
 * off one read are adjacent views of its buffer, and leave as one view (a write per frame was
 * ~110 ns per frame against ~30 for one write per read, /tmp microbench of a corked socket).
 * What is queued is written by the end of the tick (before the tick's uncork, when queued
 * before the cork is held), or at once by `flush`, which must come before anything else is
 * written to the socket.
 */
export class WireOut {
  private head: Uint8Array | undefined;
  private end = 0;
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  add(wire: Uint8Array): void {
    if (this.head !== undefined && wire.buffer === this.head.buffer && wire.byteOffset === this.end) {
      this.end += wire.length;
      return;
    }
    this.flush();
    this.head = wire;
    this.end = wire.byteOffset + wire.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushOut, this);
    }
  }

  flush(): void {
    const head = this.head;
    if (head === undefined) return;
    this.head = undefined;
    const length = this.end - head.byteOffset;
    this.socket.write(length === head.length ? head : Buffer.from(head.buffer, head.byteOffset, length));
  }

  /** @internal the end-of-tick write */
  tick(): void {
    this.scheduled = false;
    this.flush();
  }
}

function flushOut(out: WireOut): void {
  out.tick();
}

/** A copy of the masked payload in buf[start, end), unmasked: the wire bytes stay as they came, to be forwarded. */
function unmasked(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  applyMask(buf, start, end, out, 0);
  return out;
}

/**
 * Masks or unmasks (RFC 6455 section 5.3: the same XOR) the payload in src[start, end) into dst
 * from `at` — dst may be src itself, at `start` — with the 4-byte key that precedes the payload
 * in src, as it does in a frame. Shared by this reader (a client's frames) and text-out.ts (the
 * frames a client writes).
 */
export function applyMask(src: Buffer, start: number, end: number, dst: Buffer, at: number): void {
  const k0 = src[start - 4]!;
  const k1 = src[start - 3]!;
  const k2 = src[start - 2]!;
  const k3 = src[start - 1]!;
  const n = end - start;
  let i = 0;
  for (const whole = n - 3; i < whole; i += 4) {
    dst[at + i] = src[start + i]! ^ k0;
    dst[at + i + 1] = src[start + i + 1]! ^ k1;
    dst[at + i + 2] = src[start + i + 2]! ^ k2;
    dst[at + i + 3] = src[start + i + 3]! ^ k3;
  }
  for (; i < n; i++) dst[at + i] = src[start + i]! ^ src[start - 4 + (i & 3)]!;
}
