/**
 * The server's own JSON for its hot frames (src/server/encode.ts) is byte for byte what
 * JSON.stringify writes, whatever the strings hold: quotes, backslashes, control characters,
 * non-ASCII, lone surrogates.
 */

import { describe, expect, it } from 'vitest';
import type { AckN, Frame, MsgA, MsgN } from '../../src/protocol/frames.js';
import { encodeFrame } from '../../src/server/encode.js';

const STRINGS = [
  'plain-id_1.2:3',
  '',
  'with "quotes"',
  'back\\slash',
  'ctl\u0000\u0001\n\t\u001f',
  'del\u007f',
  'é€😀 non-ASCII',
  'lone \ud800 surrogate',
  '</script>',
  " ~!#$%&'()*+,-./[]^`{|}",
];

function msgA(s: string, dup: boolean): MsgA {
  const f: MsgA = { type: 'msg:A', rid: s, cmid: `c${s}`, smid: `${s}s`, ts: 1_765_000_000_123 };
  if (dup) f.dup = true;
  return f;
}

const ackN = (s: string, status: AckN['status']): AckN => ({
  type: 'ack:N',
  cmid: s,
  smid: `s${s}`,
  to: `${s}to`,
  status,
  ts: 1_765_000_000_123,
});

const msgN = (s: string, attempt: number | undefined): MsgN => ({
  type: 'msg:N',
  smid: `s${s}`,
  cmid: s,
  from: `${s}f`,
  to: 'bob',
  body: `body ${s}`,
  seq: 7,
  prevSeq: 6,
  ts: 1_765_000_000_123,
  ...(attempt === undefined ? {} : { attempt }),
});

describe('server encodeFrame', () => {
  it('writes msg:A, ack:N and msg:N exactly as JSON.stringify does', () => {
    const frames: Frame[] = [];
    for (const s of STRINGS) {
      frames.push(msgA(s, false), msgA(s, true), ackN(s, 'stored'), ackN(s, 'delivered'));
      frames.push(msgN(s, 1), msgN(s, 3), msgN(s, undefined));
    }
    for (const f of frames) expect(encodeFrame(f)).toBe(JSON.stringify(f));
  });

  it('other frames go through JSON.stringify', () => {
    const f: Frame = { type: 'ping:A', rid: 'r"1', serverTime: 5 };
    expect(encodeFrame(f)).toBe(JSON.stringify(f));
  });
});
