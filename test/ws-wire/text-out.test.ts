/**
 * The text frames the reference server (unmasked) and the ran driver's client (masked) write in
 * one buffer per tick (src/ws-wire/text-out.ts), read back by ws's own reader on the other side.
 */

import { describe, expect, it } from 'vitest';
import { textFrames } from '../../src/ws-wire/text-out.js';
import { readWithWs } from '../helpers/ws-frame.js';

/** Every header size (7-bit, 16-bit, 64-bit lengths at their edges) and multi-byte UTF-8. */
const TEXTS = [
  '',
  'a'.repeat(125),
  'b'.repeat(126),
  'c'.repeat(65_535),
  'd'.repeat(65_536),
  'é€😀'.repeat(50),
];

describe('text frames', () => {
  it('unmasked, as a server writes them: a ws client reads every text back', () => {
    expect(readWithWs(textFrames(TEXTS, false), false)).toEqual(TEXTS);
  });

  it('masked, as a client writes them: a ws server reads every text back, and none is on the wire as it is', () => {
    const bytes = textFrames(TEXTS, true);
    // Looked at before reading: ws's reader unmasks in place.
    expect(bytes.includes(Buffer.from(TEXTS[1]!))).toBe(false);
    expect(textFrames(TEXTS, false).includes(Buffer.from(TEXTS[1]!))).toBe(true);
    expect(readWithWs(bytes, true)).toEqual(TEXTS);
  });

  it('draws a fresh masking key for each frame', () => {
    const bytes = textFrames(['x', 'x', 'x'], true);
    // Each frame: 2 header bytes, 4 key bytes, 1 payload byte.
    const keys = [0, 7, 14].map((at) => bytes.subarray(at + 2, at + 6).toString('hex'));
    expect(new Set(keys).size).toBe(3);
  });
});
