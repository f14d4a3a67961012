/**
 * The codec on literal fixtures: every valid frame decodes (as text and as bytes) and round-trips;
 * every invalid frame is refused with the right wire code (FRAME-2, FRAME-3) and a message that
 * names the offending member, so a server's error:A tells the client what to fix.
 */

import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, decode, encode } from '../../src/protocol/codec.js';
import { FRAME_TYPES } from '../../src/protocol/frames.js';
import { FULL_FRAMES, STORED } from './fixtures.js';

function refused(input: string | Uint8Array) {
  const d = decode(input);
  if (d.ok) throw new Error(`expected ${String(input).slice(0, 80)} to be refused`);
  return d.error;
}

describe('decode: valid frames (FRAME-1)', () => {
  it.each(FRAME_TYPES)('%s decodes from text and from UTF-8 bytes and round-trips', (type) => {
    const text = encode(FULL_FRAMES[type]);
    const fromText = decode(text);
    const fromBytes = decode(new TextEncoder().encode(text));
    expect(fromText).toEqual({ ok: true, frame: FULL_FRAMES[type] });
    expect(fromBytes).toEqual({ ok: true, frame: FULL_FRAMES[type] });
  });

  it('optional members may be left out', () => {
    const minimal = [
      { type: 'hello:R', rid: 'r', user: 'u', device: 'd', token: 't' },
      { type: 'msg:A', rid: 'r', cmid: 'c', smid: 's', ts: 0 },
      { type: 'msg:N', smid: 's', cmid: 'c', from: 'a', to: 'b', body: '', seq: 1, ts: 0 },
      { type: 'sync:R', rid: 'r', limit: 1 },
      { type: 'sync:A', rid: 'r', msgs: [], more: false, maxSeq: 0 },
      { type: 'error:A', rid: 'r', code: 'internal', message: '' },
    ];
    for (const frame of minimal) expect(decode(JSON.stringify(frame)).ok, frame.type).toBe(true);
  });
});

describe('decode: invalid frames are refused and the message names the member', () => {
  const badFrames: [string, unknown, 'bad-frame' | 'bad-json', RegExp][] = [
    ['missing member', { type: 'msg:R', rid: 'r', cmid: 'c', to: 'b' }, 'bad-frame', /missing member "body"/],
    ['unknown member', { ...FULL_FRAMES['ping:R'], extra: 1 }, 'bad-frame', /unknown member "extra"/],
    ['wrong type of member', { type: 'ack:R', rid: 'r', upTo: '3' }, 'bad-frame', /\/upTo/],
    ['negative seq', { type: 'ack:R', rid: 'r', upTo: -1 }, 'bad-frame', /\/upTo/],
    ['fractional seq', { ...FULL_FRAMES['msg:N'], seq: 1.5 }, 'bad-frame', /\/seq/],
    ['seq 0 in a push', { ...FULL_FRAMES['msg:N'], seq: 0 }, 'bad-frame', /\/seq/],
    ['seq above 2^53-1', { type: 'ack:R', rid: 'r', upTo: 2 ** 53 }, 'bad-frame', /\/upTo/],
    ['empty id', { type: 'ping:R', rid: '' }, 'bad-frame', /\/rid/],
    ['id over 64 chars', { type: 'ping:R', rid: 'x'.repeat(65) }, 'bad-frame', /\/rid/],
    ['unknown type', { type: 'msg:X', rid: 'r' }, 'bad-frame', /unknown frame type "msg:X"/],
    ['no type', { rid: 'r' }, 'bad-frame', /type/],
    ['non-string type', { type: 7, rid: 'r' }, 'bad-frame', /type/],
    ['unknown cap', { ...FULL_FRAMES['hello:A'], caps: ['teleport'] }, 'bad-frame', /\/caps\/0/],
    ['duplicate caps', { ...FULL_FRAMES['hello:A'], caps: ['dedup', 'dedup'] }, 'bad-frame', /\/caps/],
    [
      'limits with a missing member',
      { ...FULL_FRAMES['hello:A'], limits: { maxFrameBytes: 1 } },
      'bad-frame',
      /\/limits/,
    ],
    ['bad receipt status', { ...FULL_FRAMES['ack:N'], status: 'read' }, 'bad-frame', /\/status/],
    ['unknown error code', { ...FULL_FRAMES['error:A'], code: 'oops' }, 'bad-frame', /\/code/],
    ['dup other than true', { ...FULL_FRAMES['msg:A'], dup: false }, 'bad-frame', /\/dup/],
    [
      'stored message with attempt',
      { ...FULL_FRAMES['sync:A'], msgs: [{ ...STORED, attempt: 1 }] },
      'bad-frame',
      /\/msgs\/0.*attempt/,
    ],
    ['more not boolean', { ...FULL_FRAMES['sync:A'], more: 'no' }, 'bad-frame', /\/more/],
  ];

  it.each(badFrames)('%s → %s', (_name, value, code, message) => {
    const error = refused(JSON.stringify(value));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.wireCode).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('echoes a readable rid so the error:A can answer the request (FRAME-3)', () => {
    expect(refused(JSON.stringify({ type: 'ack:R', rid: 'r-9', upTo: 'x' })).rid).toBe('r-9');
    expect(refused(JSON.stringify({ type: 'ack:R', rid: 5, upTo: 1 })).rid).toBeNull();
    expect(refused(JSON.stringify({ type: 'ack:R', rid: 'x'.repeat(65), upTo: 1 })).rid).toBeNull();
  });

  it.each([
    ['not JSON', 'hello', /not valid JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['a JSON string', '"msg:R"', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['truncated JSON', '{"type":"ping:R","rid":"r"', /not valid JSON/],
  ])('%s → bad-json (FRAME-2)', (_name, text, message) => {
    const error = refused(text);
    expect(error.wireCode).toBe('bad-json');
    expect(error.rid).toBeNull();
    expect(error.message).toMatch(message);
  });

  it('invalid UTF-8 bytes → bad-json (FRAME-2)', () => {
    const error = refused(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(error.wireCode).toBe('bad-json');
    expect(error.message).toMatch(/UTF-8/);
  });

  it('input over maxBytes → too-large, for text and bytes alike', () => {
    const big = `{"type":"ping:R","rid":"${'x'.repeat(DEFAULT_MAX_FRAME_BYTES)}"}`;
    expect(refused(big).wireCode).toBe('too-large');
    expect(refused(new TextEncoder().encode(big)).wireCode).toBe('too-large');
    // Multi-byte characters count in bytes, not UTF-16 units.
    const d = decode(JSON.stringify({ type: 'ping:R', rid: 'r', pad: 'é'.repeat(30) }), 40);
    expect(d.ok ? 'ok' : d.error.wireCode).toBe('too-large');
  });
});

describe('decode: string bounds count code points, as the schema says', () => {
  // Each astral character is one code point in two UTF-16 units: the lengths where the
  // validator may skip its count (protocol/validator-source.ts) and where it must not.
  const astral = (n: number) => '😀'.repeat(n);
  const ok = (frame: object) => decode(JSON.stringify(frame)).ok;

  it('an id of 64 code points passes at 128 UTF-16 units; 65 code points do not', () => {
    expect(ok({ type: 'ping:R', rid: astral(64) })).toBe(true);
    expect(ok({ type: 'ping:R', rid: astral(65) })).toBe(false);
    expect(ok({ type: 'ping:R', rid: `${astral(63)}xx` })).toBe(false);
    expect(ok({ type: 'ping:R', rid: 'x'.repeat(64) })).toBe(true);
    expect(ok({ type: 'ping:R', rid: 'x'.repeat(65) })).toBe(false);
  });

  it('minLength 1: one astral character is enough, the empty string is not', () => {
    expect(ok({ type: 'ping:R', rid: astral(1) })).toBe(true);
    expect(ok({ type: 'ping:R', rid: '\ud83d' })).toBe(true);
    expect(ok({ type: 'ping:R', rid: '' })).toBe(false);
  });

  it('a lone surrogate counts as one code point, a pair as one', () => {
    expect(ok({ type: 'ping:R', rid: `${'\ud83d'.repeat(64)}` })).toBe(true);
    expect(ok({ type: 'ping:R', rid: `${'\ud83d'.repeat(65)}` })).toBe(false);
    expect(ok({ type: 'hello:R', rid: 'r', user: 'u', device: 'd', token: astral(512) })).toBe(true);
    expect(ok({ type: 'hello:R', rid: 'r', user: 'u', device: 'd', token: astral(513) })).toBe(false);
  });

  it('multi-byte text just under the byte bound by length but over it in bytes is too-large', () => {
    // 40 units, 3 × 40 > 100 bytes allowed: the bytes are counted (é is 2 bytes in UTF-8).
    const text = JSON.stringify({ type: 'ping:R', rid: 'é'.repeat(20) });
    expect(text.length).toBeLessThanOrEqual(100);
    const d = decode(text, text.length + 10);
    expect(d.ok ? 'ok' : d.error.wireCode).toBe('too-large');
    expect(decode(text, Buffer.byteLength(text)).ok).toBe(true);
  });
});
