/**
 * The RAN/1 codec: text in, frame or coded error out. `decode` never throws, whatever the input —
 * invalid UTF-8, huge strings, deep nesting, `__proto__` keys — because it sits on the boundary
 * with untrusted peers (FRAME-2, FRAME-3, FRAME-8).
 */

import { ProtocolError } from '../errors.js';
import type { Frame } from './frames.js';
import { checkFrame, isValidFrame } from './validate.js';

export type Decoded = { ok: true; frame: Frame } | { ok: false; error: ProtocolError };

/** Default bound on one encoded frame, in bytes (limits.maxFrameBytes). */
export const DEFAULT_MAX_FRAME_BYTES = 65_536;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(message: string, wireCode: 'bad-json' | 'bad-frame' | 'too-large', rid: string | null = null) {
  return { ok: false as const, error: new ProtocolError(message, wireCode, rid) };
}

/** Reads a string `rid` from a parsed object, if it has one of sane length, so errors can echo it. */
function readableRid(value: object): string | null {
  if (!Object.hasOwn(value, 'rid')) return null;
  const rid = (value as { rid?: unknown }).rid;
  return typeof rid === 'string' && rid.length >= 1 && rid.length <= 64 ? rid : null;
}

/**
 * Decodes one WebSocket text message. `maxBytes` bounds the input before any parsing so a huge
 * string costs nothing but its length check.
 */
export function decode(input: string | Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): Decoded {
  try {
    let text: string;
    if (typeof input === 'string') {
      // A JS string's UTF-8 length is at least its length in UTF-16 units and at most 3× it, so
      // the bytes are counted (a scan of the string) only when the length alone cannot decide.
      const n = input.length;
      if (n > maxBytes || (n * 3 > maxBytes && Buffer.byteLength(input, 'utf8') > maxBytes)) {
        return fail(`frame is larger than ${maxBytes} bytes`, 'too-large');
      }
      text = input;
    } else {
      if (input.byteLength > maxBytes) return fail(`frame is larger than ${maxBytes} bytes`, 'too-large');
      try {
        text = utf8.decode(input);
      } catch {
        return fail('frame is not valid UTF-8', 'bad-json');
      }
    }
    let value: unknown;
    try {
      // JSON.parse creates an own "__proto__" property rather than setting the prototype, and the
      // schema refuses unknown members, so a "__proto__" key can never reach application code.
      value = JSON.parse(text);
    } catch (cause) {
      return fail(`frame is not valid JSON: ${(cause as Error).message.slice(0, 120)}`, 'bad-json');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail('frame is not a JSON object', 'bad-json');
    }
    // The verdict alone first: the common, valid frame needs no second result object.
    if (isValidFrame(value)) return { ok: true, frame: value };
    const checked = checkFrame(value);
    if (!checked.ok) return fail(checked.message, 'bad-frame', readableRid(value));
    return { ok: true, frame: checked.frame };
  } catch (cause) {
    // Nothing above should throw; if something does (a RangeError from a pathological input),
    // it is still the peer's bad frame, not our crash.
    return fail(
      `frame could not be decoded: ${String((cause as Error)?.message ?? cause).slice(0, 120)}`,
      'bad-json',
    );
  }
}

/** Encodes a frame for the wire. The caller is responsible for passing a valid frame. */
export function encode(frame: Frame): string {
  return JSON.stringify(frame);
}
