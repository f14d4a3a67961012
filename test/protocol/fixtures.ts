/**
 * One full, valid fixture per RAN/1 frame type. Each is typed `Required<FrameOf<T>>`, so the
 * compiler insists on every member of the interface, optional ones included — which is what lets
 * frames-in-step.test.ts compare the interfaces with the schema's `properties`.
 */

import type { FrameOf, FrameType, Limits, StoredMessage } from '../../src/protocol/frames.js';

export const LIMITS: Required<Limits> = {
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  syncLimitMax: 200,
  pushWindow: 100,
  repushMs: 2_000,
  dedupWindowMs: 86_400_000,
  helloTimeoutMs: 10_000,
  idleMs: 120_000,
};

export const STORED: Required<StoredMessage> = {
  smid: 's-1',
  cmid: 'c-1',
  from: 'alice',
  to: 'bob',
  body: 'hello',
  seq: 2,
  prevSeq: 1,
  ts: 1_700_000_000_000,
};

type Fixtures = { [T in FrameType]: Required<FrameOf<T>> };

export const FULL_FRAMES: Fixtures = {
  'hello:R': { type: 'hello:R', rid: 'r1', user: 'alice', device: 'phone', token: 'secret', lastSeq: 3 },
  'hello:A': {
    type: 'hello:A',
    rid: 'r1',
    user: 'alice',
    device: 'phone',
    maxSeq: 7,
    pending: 4,
    caps: ['dedup', 'contiguous-seq'],
    limits: LIMITS,
    serverTime: 1_700_000_000_000,
  },
  'msg:R': { type: 'msg:R', rid: 'r2', cmid: 'c-1', to: 'bob', body: 'hello' },
  'msg:A': { type: 'msg:A', rid: 'r2', cmid: 'c-1', smid: 's-1', ts: 1_700_000_000_000, dup: true },
  'msg:N': { type: 'msg:N', ...STORED, attempt: 1 },
  'ack:R': { type: 'ack:R', rid: 'r3', upTo: 2 },
  'ack:A': { type: 'ack:A', rid: 'r3', upTo: 2 },
  'ack:N': { type: 'ack:N', cmid: 'c-1', smid: 's-1', to: 'bob', status: 'delivered', ts: 1_700_000_000_000 },
  'sync:R': { type: 'sync:R', rid: 'r4', after: 0, before: 10, limit: 50, ackUpTo: 1 },
  'sync:A': { type: 'sync:A', rid: 'r4', msgs: [STORED], more: false, maxSeq: 2 },
  'ping:R': { type: 'ping:R', rid: 'r5' },
  'ping:A': { type: 'ping:A', rid: 'r5', serverTime: 1_700_000_000_000 },
  'error:A': { type: 'error:A', rid: null, code: 'bad-json', message: 'frame is not valid JSON' },
};

/** A seeded PRNG (mulberry32): tests that use randomness replay exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
