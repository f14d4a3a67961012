/**
 * `decode` sits on the boundary with untrusted peers (FRAME-2, FRAME-3, FRAME-8): whatever the
 * input, it returns a frame or a ProtocolError carrying a wire code — it never throws, never
 * parses what is over the size limit, and never lets a key reach Object.prototype.
 * All randomness is seeded, so a failure replays.
 */

import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { type Decoded, decode, encode } from '../../src/protocol/codec.js';
import { FRAME_TYPES, WIRE_ERROR_CODES } from '../../src/protocol/frames.js';
import { isValidFrame } from '../../src/protocol/validate.js';
import { FULL_FRAMES, rng } from './fixtures.js';

/** Decodes and asserts the contract: ok with a valid frame, or a ProtocolError with a wire code. */
function decodeChecked(input: string | Uint8Array, maxBytes?: number): Decoded {
  let d: Decoded;
  try {
    d = decode(input, maxBytes);
  } catch (cause) {
    throw new Error(`decode threw on ${JSON.stringify(String(input).slice(0, 120))}: ${String(cause)}`);
  }
  if (d.ok) {
    expect(isValidFrame(d.frame)).toBe(true);
  } else {
    expect(d.error).toBeInstanceOf(ProtocolError);
    expect(WIRE_ERROR_CODES).toContain(d.error.wireCode);
    expect(d.error.message.length).toBeGreaterThan(0);
  }
  return d;
}

describe('decode never throws', () => {
  it('on 2000 seeded random byte strings (any bytes, invalid UTF-8 included)', () => {
    const random = rng(1);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      decodeChecked(bytes);
    }
  });

  it('on 2000 seeded random strings of JSON-ish characters and lone surrogates', () => {
    const random = rng(2);
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '\\',
      'u',
      '0',
      '1',
      '-',
      'e',
      '.',
      ' ',
      'a',
      '\ud800',
      '\udfff',
      'é',
      '\u0000',
    ];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const n = Math.floor(random() * 48);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(random() * alphabet.length)];
      decodeChecked(s);
    }
  });

  it('on invalid UTF-8 sequences: overlong, truncated, surrogate halves → bad-json', () => {
    const cases = [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x7b, 0xe2, 0x82],
      [0x80],
    ];
    for (const bytes of cases) {
      const d = decodeChecked(new Uint8Array(bytes));
      expect(d.ok ? 'ok' : d.error.wireCode).toBe('bad-json');
    }
  });

  it('on a huge string: too-large without parsing it (the cost is a length check)', () => {
    const huge = `{"type":"ping:R","rid":"r","x":"${'a'.repeat(8 * 1024 * 1024)}"}`;
    const d = decodeChecked(huge);
    expect(d.ok ? 'ok' : d.error.wireCode).toBe('too-large');
    // Not JSON at all, yet too-large rather than bad-json: the size check comes before parsing.
    const notJson = decodeChecked(`{${'\\'.repeat(8 * 1024 * 1024)}`);
    expect(notJson.ok ? 'ok' : notJson.error.wireCode).toBe('too-large');
    const bytes = decodeChecked(new Uint8Array(8 * 1024 * 1024).fill(0xff));
    expect(bytes.ok ? 'ok' : bytes.error.wireCode).toBe('too-large');
  });

  it('on nesting 100 000 deep, arrays and objects, inside and outside a frame', () => {
    const depth = 100_000;
    const big = 4 * depth + 100;
    const inputs = [
      '['.repeat(depth) + ']'.repeat(depth),
      '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
      `{"type":"sync:A","rid":"r","msgs":${'['.repeat(depth)}${']'.repeat(depth)},"more":false,"maxSeq":0}`,
      `{"type":"ping:R","rid":"r","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      '['.repeat(depth),
    ];
    for (const text of inputs) {
      const d = decodeChecked(text, big * 2);
      expect(d.ok).toBe(false);
    }
  });

  it('on __proto__ and constructor keys: refused, and Object.prototype is not polluted', () => {
    const inputs = [
      '{"__proto__":{"polluted":true},"type":"ping:R","rid":"r"}',
      '{"type":"ping:R","rid":"r","constructor":{"prototype":{"polluted":true}}}',
      '{"type":"sync:A","rid":"r","msgs":[{"__proto__":{"polluted":true}}],"more":false,"maxSeq":0}',
      '{"type":"hello:A","rid":"r","user":"u","device":"d","maxSeq":0,"pending":0,"caps":[],"serverTime":0,"limits":{"__proto__":{"polluted":true}}}',
      '{"__proto__":null}',
    ];
    for (const text of inputs) {
      const d = decodeChecked(text);
      expect(d.ok).toBe(false);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('on numbers out of range: 2^53, -1, 1e400, -0.5, 1e-400 in seq members', () => {
    for (const n of ['9007199254740992', '-1', '1e400', '-0.5', '1.0000001', '-1e400']) {
      const d = decodeChecked(`{"type":"ack:R","rid":"r","upTo":${n}}`);
      expect(d.ok, n).toBe(false);
    }
    // Representable integers written unusually are still integers.
    expect(decodeChecked('{"type":"ack:R","rid":"r","upTo":1e3}').ok).toBe(true);
    expect(decodeChecked('{"type":"ack:R","rid":"r","upTo":1e-400}').ok).toBe(true);
  });

  it('on 4000 seeded mutations of valid frames (text and structure)', () => {
    const random = rng(3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1.5,
      2 ** 53,
      '',
      'x'.repeat(70),
      [],
      {},
      '__proto__',
      { a: [1] },
    ];
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const frame = structuredClone(FULL_FRAMES[pick(FRAME_TYPES)]) as unknown as Record<string, unknown>;
      let text: string;
      if (random() < 0.5) {
        // Structural: delete, replace or add a member.
        const keys = Object.keys(frame);
        const key = pick(keys);
        const r = random();
        if (r < 0.33) delete frame[key];
        else if (r < 0.66) frame[key] = pick(values);
        else frame[pick(['extra', '__proto__', 'constructor', key])] = pick(values);
        text = JSON.stringify(frame);
      } else {
        // Textual: flip, insert, delete characters, or truncate.
        const chars = [...encode(frame as never)];
        const edits = 1 + Math.floor(random() * 3);
        for (let e = 0; e < edits && chars.length > 0; e++) {
          const at = Math.floor(random() * chars.length);
          const r = random();
          if (r < 0.3) chars[at] = String.fromCharCode(Math.floor(random() * 128));
          else if (r < 0.6) chars.splice(at, 0, pick(['"', '{', '}', ',', ':', '\\', '9']));
          else if (r < 0.85) chars.splice(at, 1);
          else chars.length = at;
        }
        text = chars.join('');
      }
      if (decodeChecked(random() < 0.5 ? text : new TextEncoder().encode(text)).ok) accepted++;
    }
    // Some mutations keep a frame valid (a new value of the right type); most do not.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(4000);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
