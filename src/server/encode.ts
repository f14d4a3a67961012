/**
 * The JSON text of the frames the server sends for every accepted message — msg:A, the ack:N
 * receipt, the msg:N push — written out member by member. JSON.stringify walks the object and
 * escape-checks every key and value through the generic serializer: 2–3 µs for a msg:A and its
 * ack:N against 0.5–1.2 µs here, about 5% of the server's CPU per accepted message. The text is
 * exactly JSON.stringify's (test/server/encode.test.ts); every other frame goes through it.
 */

import { encode } from '../protocol/codec.js';
import type { AckN, Frame, MsgA, MsgN } from '../protocol/frames.js';

/** Strings JSON.stringify copies as they are: printable ASCII other than `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal, as JSON.stringify writes it. */
function str(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

function msgA(f: MsgA): string {
  const dup = f.dup === undefined ? '' : ',"dup":true';
  return `{"type":"msg:A","rid":${str(f.rid)},"cmid":${str(f.cmid)},"smid":${str(f.smid)},"ts":${f.ts}${dup}}`;
}

function ackN(f: AckN): string {
  return `{"type":"ack:N","cmid":${str(f.cmid)},"smid":${str(f.smid)},"to":${str(f.to)},"status":"${f.status}","ts":${f.ts}}`;
}

function msgN(f: MsgN): string {
  const attempt = f.attempt === undefined ? '' : `,"attempt":${f.attempt}`;
  const prev = f.prevSeq === undefined ? '' : `,"prevSeq":${f.prevSeq}`;
  return (
    `{"type":"msg:N","smid":${str(f.smid)},"cmid":${str(f.cmid)},"from":${str(f.from)},"to":${str(f.to)},` +
    `"body":${str(f.body)},"seq":${f.seq}${prev},"ts":${f.ts}${attempt}}`
  );
}

/**
 * The frame's JSON text. The hot frames are written here only in the member order the server
 * builds them in (handlers/msg.ts msgA, receipts.ts, push.ts toFrame): a frame of another order
 * would still be correct JSON, but not byte-identical to JSON.stringify — which the test pins.
 */
export function encodeFrame(frame: Frame): string {
  switch (frame.type) {
    case 'msg:A':
      return msgA(frame);
    case 'ack:N':
      return ackN(frame);
    case 'msg:N':
      return msgN(frame);
    default:
      return encode(frame);
  }
}
