/**
 * RAN/1 as a frame codec: one JSON text per WebSocket message, already in RAN/1 names, so
 * decoding is the protocol's own `decode` and `fields` is the frame itself. The fault proxy reads
 * RAN/1 through this codec like any other protocol.
 */

import { decode } from './codec.js';
import type { DecodedFrame, FrameCodec } from './frame-codec.js';
import { FRAME_TYPES, type FrameType } from './frames.js';
import { corruptText } from './ran-corrupt.js';
import { peekRanType } from './ran-peek.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set(FRAME_TYPES);
/** The proxy reads whatever passes; size limits are the endpoints' to enforce (FRAME-5). */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/** Keeps what structure a frame that failed decoding has, for fault events and selectors. */
export function salvage(text: string): { type: FrameType | undefined; fields: Record<string, unknown> } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const type = (value as { type?: unknown }).type;
      return {
        type: typeof type === 'string' && KNOWN_TYPES.has(type) ? (type as FrameType) : undefined,
        fields: value as Record<string, unknown>,
      };
    }
  } catch {
    // Not JSON: nothing to keep.
  }
  return { type: undefined, fields: {} };
}

export const ranCodec: FrameCodec = {
  name: 'ran',
  transport: 'websocket',
  decode(frame, direction, binary): DecodedFrame {
    if (binary) {
      return {
        type: undefined,
        fields: {},
        raw: `<binary message, ${frame.byteLength} bytes>`,
        invalid: 'binary message: RAN/1 frames are text (FRAME-1)',
      };
    }
    let raw: string;
    try {
      raw = utf8.decode(frame);
    } catch {
      return { type: undefined, fields: {}, raw: lossy.decode(frame), invalid: 'frame is not valid UTF-8' };
    }
    const decoded = decode(raw, NO_LIMIT);
    if (!decoded.ok) {
      // Selectors only look at the type of a frame that decoded: an invalid frame is `undecodable`.
      return { type: undefined, fields: salvage(raw).fields, raw, invalid: decoded.error.message };
    }
    const f = decoded.frame;
    const out: DecodedFrame = { type: f.type, fields: f as unknown as Record<string, unknown>, raw };
    if (f.type === 'hello:R' && direction === 'to-server') out.login = { user: f.user, device: f.device };
    return out;
  },
  peekType(frame, _direction, binary) {
    return binary ? undefined : peekRanType(frame);
  },
  corrupt(frame, mode, field, rng) {
    const spoiled = corruptText(lossy.decode(frame), mode, field, rng);
    const out = { frame: Buffer.from(spoiled.text, 'utf8'), binary: false, mode: spoiled.mode };
    return spoiled.field === undefined ? out : { ...out, field: spoiled.field };
  },
};
