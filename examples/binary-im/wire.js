// @ts-check
/**
 * binary-im's wire format, shared by the server, the driver and the codec: a 4-byte big-endian
 * length, then one protobuf `Frame` (im.proto). Frames are plain objects here:
 * `{ reqId, body: 'send', send: { clientMsgId, to, content } }`, 64-bit ids as numbers.
 */

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(fileURLToPath(new URL('./im.proto', import.meta.url)));
const Frame = root.lookupType('binaryim.Frame');

/** A frame larger than this is refused (and stops the stream from being read). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Bytes of the length prefix. */
export const HEADER_BYTES = 4;

/** Error.Code names (im.proto) in the order of their numbers. */
export const ERROR_CODES = /** @type {const} */ ([
  'INTERNAL',
  'BAD_FRAME',
  'NOT_LOGGED_IN',
  'AUTH_FAILED',
  'ALREADY_LOGGED_IN',
  'BAD_ACK',
  'TOO_LARGE',
]);

/**
 * @typedef {{ reqId?: number, body?: string } & Record<string, any>} WireFrame
 *   One decoded frame: `body` names the member of the oneof that is set.
 */

/**
 * Encodes a frame, length prefix included.
 * @param {WireFrame} frame
 * @returns {Buffer}
 */
export function encodeFrame(frame) {
  const { body: _, ...fields } = frame;
  const bytes = Frame.encode(Frame.fromObject(fields)).finish();
  const out = Buffer.allocUnsafe(HEADER_BYTES + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, HEADER_BYTES);
  return out;
}

/**
 * Decodes one whole frame (length prefix included). Throws on bytes that are not a Frame.
 * @param {Uint8Array} bytes
 * @returns {WireFrame}
 */
export function decodeFrame(bytes) {
  const message = Frame.decode(bytes.subarray(HEADER_BYTES));
  return /** @type {WireFrame} */ (
    Frame.toObject(message, { longs: Number, enums: String, bytes: Buffer, oneofs: true })
  );
}

/**
 * Length of the frame at the start of `buffer`: 0 when more bytes are needed, -1 when the
 * prefix announces more than MAX_FRAME_BYTES (the stream cannot be trusted any more).
 * @param {Uint8Array} buffer
 */
export function frameLength(buffer) {
  if (buffer.length < HEADER_BYTES) return 0;
  const n = new DataView(buffer.buffer, buffer.byteOffset, HEADER_BYTES).getUint32(0);
  return n > MAX_FRAME_BYTES ? -1 : HEADER_BYTES + n;
}

/** Cuts a TCP byte stream into whole frames. */
export class FrameReader {
  /** @type {Buffer} */
  #pending = Buffer.alloc(0);

  /**
   * Returns the frames completed by `chunk`; throws when the stream announces an oversized frame.
   * @param {Buffer} chunk
   * @returns {Buffer[]}
   */
  push(chunk) {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames = [];
    for (;;) {
      const n = frameLength(buf);
      if (n < 0) throw new Error(`a frame of more than ${MAX_FRAME_BYTES} bytes was announced`);
      if (n === 0 || buf.length < n) break;
      frames.push(Buffer.from(buf.subarray(0, n)));
      buf = buf.subarray(n);
    }
    this.#pending = Buffer.from(buf);
    return frames;
  }
}
