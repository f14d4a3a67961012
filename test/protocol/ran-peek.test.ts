/**
 * The fault proxy's fast path tells a frame's type from its bytes (ran-peek.ts). It may decline
 * (undefined) whenever it likes, but when it answers it must answer what a full decode says:
 * the same type, valid, and no login. Checked on seeded mutations of every frame type.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRAME_TYPES, type FrameType } from '../../src/protocol/frames.js';
import { ranCodec } from '../../src/protocol/ran-codec.js';
import { peekRanType } from '../../src/protocol/ran-peek.js';
import { FULL_FRAMES } from './fixtures.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** The contract: no answer, or decode's answer for a valid, non-login frame. */
function agrees(frame: Uint8Array): void {
  const peeked = peekRanType(frame);
  if (peeked === undefined) return;
  const decoded = ranCodec.decode(frame, 'to-server', false);
  const text = Buffer.from(frame).toString('latin1');
  expect(decoded.invalid, text).toBeUndefined();
  expect(decoded.type, text).toBe(peeked);
  expect(decoded.login, text).toBeUndefined();
}

/** The types with a member that is not one flat check (or hello:R, whose login needs decoding). */
const DECLINED: readonly FrameType[] = ['hello:R', 'hello:A', 'sync:A', 'error:A'];
const PEEKED = FRAME_TYPES.filter((t) => !DECLINED.includes(t));

/** Values near every bound the schema sets, and of every JSON kind. */
const value = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ minLength: 63, maxLength: 66, unit: 'grapheme-ascii' }),
  fc.constantFrom('', 'x', 'stored', 'delivered', 'ping:R', 'msg:A', 'a"b', 'a\\b', 'é', '\u0001', '\u007f'),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 10 ** 15 - 1, 10 ** 15, 1.5, -0, 1e21),
  fc.nat(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const key = fc.oneof(
  fc.constantFrom('type', 'rid', 'cmid', 'smid', 'to', 'from', 'body', 'seq', 'ts', 'upTo', 'dup'),
  fc.constantFrom('status', 'after', 'before', 'limit', 'ackUpTo', 'serverTime', 'attempt', '__proto__'),
  fc.string({ maxLength: 8 }),
);

type Edit =
  | { kind: 'set'; key: string; value: unknown }
  | { kind: 'delete'; index: number }
  | { kind: 'duplicate'; index: number; value: unknown }
  | { kind: 'reverse' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value }),
  fc.record({ kind: fc.constant('delete' as const), index: fc.nat(12) }),
  fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat(12), value }),
  fc.constant({ kind: 'reverse' as const }),
);

/** A frame's JSON text after `edits`, written as JSON.stringify would but allowing repeated keys. */
function edited(type: FrameType, edits: readonly Edit[]): string {
  let members: [string, unknown][] = Object.entries(FULL_FRAMES[type]);
  const extra: [string, unknown][] = [];
  for (const e of edits) {
    if (e.kind === 'set') {
      const at = members.findIndex(([k]) => k === e.key);
      if (at >= 0) members[at] = [e.key, e.value];
      else members.push([e.key, e.value]);
    } else if (e.kind === 'delete') {
      members = members.filter((_, i) => i !== e.index % Math.max(1, members.length));
    } else if (e.kind === 'duplicate') {
      const m = members[e.index % Math.max(1, members.length)];
      if (m) extra.push([m[0], e.value]);
    } else {
      members.reverse();
    }
  }
  return `{${[...members, ...extra].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

describe('peekRanType', () => {
  it('tells the type of every flat frame type as written by JSON.stringify, and declines the others', () => {
    for (const type of FRAME_TYPES) {
      const frame = bytes(JSON.stringify(FULL_FRAMES[type]));
      expect(peekRanType(frame), type).toBe(PEEKED.includes(type) ? type : undefined);
      agrees(frame);
    }
  });

  it('agrees with decode on seeded edits of every frame type (values at the bounds, extra, missing and repeated members)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FRAME_TYPES), fc.array(edit, { maxLength: 4 }), (type, edits) => {
        agrees(bytes(edited(type, edits)));
      }),
      { seed: 9, numRuns: 20_000 },
    );
  });

  it('agrees with decode on seeded byte edits of valid frames', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PEEKED),
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        (type, edits) => {
          const b = [...bytes(JSON.stringify(FULL_FRAMES[type]))];
          for (const [at, byte, how] of edits) {
            const i = at % (b.length + 1);
            if (how === 'set' && i < b.length) b[i] = byte;
            else if (how === 'insert') b.splice(i, 0, byte);
            else b.splice(i, 1);
          }
          agrees(Uint8Array.from(b));
        },
      ),
      { seed: 10, numRuns: 20_000 },
    );
  });

  it('answers at the schema bounds exactly as decode does', () => {
    const cases: [string, FrameType | undefined][] = [
      [`{"type":"ping:R","rid":"${'r'.repeat(64)}"}`, 'ping:R'],
      [`{"type":"ping:R","rid":"${'r'.repeat(65)}"}`, undefined],
      ['{"type":"ping:R","rid":""}', undefined],
      ['{"rid":"r","type":"ping:R"}', 'ping:R'],
      ['{"type":"ping:R","rid":"r","rid":"s"}', undefined],
      ['{"type":"ping:R","rid":"r","type":"ping:R"}', undefined],
      ['{"type":"ping:R"}', undefined],
      ['{"type":"ping:R","rid":"r","__proto__":1}', undefined],
      ['{"type":"ack:R","rid":"r","upTo":0}', 'ack:R'],
      ['{"type":"ack:R","rid":"r","upTo":999999999999999}', 'ack:R'],
      ['{"type":"ack:R","rid":"r","upTo":9007199254740991}', undefined],
      ['{"type":"ack:R","rid":"r","upTo":01}', undefined],
      ['{"type":"ack:R","rid":"r","upTo":-0}', undefined],
      ['{"type":"ack:R","rid":"r","upTo":1.0}', undefined],
      ['{"type":"sync:R","rid":"r","limit":0}', undefined],
      ['{"type":"ack:N","cmid":"c","smid":"s","to":"b","status":"read","ts":1}', undefined],
      ['{"type":"msg:A","rid":"r","cmid":"c","smid":"s","ts":1,"dup":false}', undefined],
      ['{"type":"msg:A","rid":"r","cmid":"c","smid":"s","ts":1,"dup":true}', 'msg:A'],
      ['{"type":"msg:R","rid":"r","cmid":"c","to":"b","body":"caf\u00e9"}', undefined],
      ['{"type":"msg:R","rid":"r","cmid":"c","to":"b","body":"a\\"b"}', undefined],
      ['{"type":"msg:R","rid":"r","cmid":"c","to":"b","body":""}', 'msg:R'],
      ['{"type":"msg:R", "rid":"r","cmid":"c","to":"b","body":""}', undefined],
      ['{"type":"hello:R","rid":"r","user":"u","device":"d","token":"t"}', undefined],
    ];
    for (const [text, type] of cases) {
      expect(peekRanType(bytes(text)), text).toBe(type);
      agrees(bytes(text));
    }
  });
});
