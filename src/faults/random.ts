/**
 * The one seeded random generator of a fault run. Every random choice the fault machinery makes
 * (a probability draw, a delay's jitter, the member a `corrupt` action spoils) comes from a stream
 * of this generator, so the same seed yields the same fault schedule.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c):
 * 128 bits of state, 32-bit outputs, fast in plain JS integer arithmetic, good statistical
 * quality, and a published reference vector that the tests pin. The 128-bit state is derived
 * from the seed text with cyrb128 (a small non-cryptographic string hash) so any string or number
 * can be a seed.
 *
 * `fork(label)` derives an independent stream from the *seed path* (root seed + labels), never from
 * the parent's current state: a stream's numbers do not depend on how many numbers other streams
 * (or the parent) have drawn, or in which order connections happened to interleave. Forking the
 * same label twice gives the same stream, so labels name what the stream is for
 * (e.g. `rule:lose-msg-a/alice/phone#1`).
 */

export interface Rng {
  /** The seed path this stream was made from: the root seed, then `/label` per fork. */
  readonly seed: string;
  /** Next 32-bit unsigned integer. */
  nextUint32(): number;
  /** Next float in [0, 1), with 32 bits of randomness. */
  next(): number;
  /** Integer in [0, n) for n ≥ 1. */
  int(n: number): number;
  /** True with probability p. Draws nothing when p ≤ 0 or p ≥ 1, so certain rules consume no numbers. */
  chance(p: number): boolean;
  /** An independent stream determined only by this stream's seed path and `label`. */
  fork(label: string): Rng;
}

/** cyrb128: hashes a string to four 32-bit words (https://github.com/bryc/code, public domain). */
export function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_POW_32 = 4294967296;

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(
    readonly seed: string,
    state: readonly [number, number, number, number],
  ) {
    [this.s0, this.s1, this.s2, this.s3] = state;
    // The all-zero state is the one fixed point of xoshiro; cyrb128 practically never yields it.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    if (p >= 1) return true;
    if (p <= 0) return false;
    return this.next() < p;
  }

  fork(label: string): Rng {
    return createRng(`${this.seed}/${label}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A generator for `seed` (a number is used by its decimal text, so `7` and `'7'` agree). */
export function createRng(seed: string | number): Rng {
  const text = String(seed);
  return new Xoshiro128StarStar(text, cyrb128(text));
}

/** A generator with an explicit 128-bit state; for pinning the algorithm to its reference vector. */
export function rngFromState(state: readonly [number, number, number, number], seed = 'state'): Rng {
  return new Xoshiro128StarStar(seed, state);
}

/** A fresh seed for a run that was given none: printed with the report so the run can be replayed. */
export function randomSeed(): string {
  return Math.floor(Math.random() * TWO_POW_32)
    .toString(16)
    .padStart(8, '0');
}
