/**
 * The latency series' radix sort gives exactly Float64Array#sort's order on any doubles: -0 before
 * +0, subnormals, huge and negative values, duplicates, infinities, NaN last — compared bit for bit
 * (Object.is), both through sortFloat64 (the built-in below its threshold) and the radix sort alone
 * at every length.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { radixSortFloat64, sortFloat64 } from '../../src/checker/sort.js';

/** A NaN with its sign bit set (and one with a payload): as raw bits they would sort first. */
const NEGATIVE_NAN = new Float64Array(new Uint32Array([0, 0xfff80000]).buffer)[0]!;
const PAYLOAD_NAN = new Float64Array(new Uint32Array([1, 0xfff00000]).buffer)[0]!;

/** Doubles with the awkward ones drawn often: ±0, subnormals, extremes, infinities, NaNs. */
const awkward = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.constantFrom(
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    NEGATIVE_NAN,
    PAYLOAD_NAN,
    1,
    -1,
  ),
  // Latencies: non-negative, many sharing their sign and exponent (the skipped passes).
  fc.double({ min: 0, max: 1000, noNaN: true }),
);

/** The same values as `a.sort()` gives, in the same order; every NaN counts as equal. */
function expectSameAsBuiltin(values: readonly number[], sort: (a: Float64Array) => Float64Array): void {
  const expected = Float64Array.from(values).sort();
  const actual = sort(Float64Array.from(values));
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`at ${i}: ${actual[i]} where Float64Array#sort has ${expected[i]}`);
    }
  }
}

describe('radix sort of doubles', () => {
  it('orders any doubles as Float64Array#sort does (the radix sort alone, any length)', () => {
    fc.assert(
      fc.property(fc.array(awkward, { maxLength: 300 }), (values) => {
        expectSameAsBuiltin(values, (a) => radixSortFloat64(a));
      }),
      { numRuns: 500 },
    );
  });

  it('with duplicates: a few values repeated in any order', () => {
    fc.assert(
      fc.property(
        fc.array(awkward, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 400 }),
        (pool, picks) => {
          expectSameAsBuiltin(
            picks.map((k) => pool[k % pool.length]!),
            (a) => radixSortFloat64(a),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('through sortFloat64 above its threshold, with a scratch longer than the values', () => {
    fc.assert(
      fc.property(fc.array(awkward, { minLength: 2048, maxLength: 5000 }), (values) => {
        const scratch = new Float64Array(values.length + 7);
        expectSameAsBuiltin(values, (a) => sortFloat64(a, scratch));
      }),
      { numRuns: 40 },
    );
  });

  it('sorts a view in place, leaving the rest of its buffer alone', () => {
    const buffer = new Float64Array(3000).fill(7);
    const view = buffer.subarray(1, 2999);
    for (let i = 0; i < view.length; i++) view[i] = (i * 7919) % 2998 === 0 ? -0 : ((i * 7919) % 2998) - 1000;
    const expected = view.slice().sort();
    expect(sortFloat64(view)).toBe(view);
    expect(Array.from(view)).toEqual(Array.from(expected));
    expect([buffer[0], buffer[2999]]).toEqual([7, 7]);
  });

  it('refuses a scratch too short', () => {
    expect(() => radixSortFloat64(new Float64Array(4), new Float64Array(3))).toThrow(RangeError);
  });
});
