/**
 * FRAME-8 under a hostile client: thousands of seeded random and malformed frames — invalid JSON,
 * wrong types, strings near the size limit, deep nesting, `__proto__` keys, invalid UTF-8,
 * binary, oversize — and the server keeps serving: every non-fatal frame gets exactly one valid
 * answer, a bystander's pings are answered throughout, nothing malformed changes state, and a
 * well-formed hello afterwards works.
 */

import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/frames.js';
import { isValidFrame } from '../../src/protocol/validate.js';
import type { TestClient } from './client.js';
import { useFixture } from './fixture.js';

const fx = useFixture();
const SEED = 0x5eed_1234;
const FRAMES = 3000;
const MAX_FRAME = 8192;

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    str: (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(next() * 95))).join(''),
  };
}

type Case =
  | { kind: 'answered'; text: string }
  | { kind: 'raw-bad-utf8' }
  | { kind: 'fatal'; send: 'binary' | 'oversize' };

const weird: unknown[] = [null, true, -1, 1.5, 2 ** 60, '', 'x'.repeat(65), [], {}, [1], { a: 1 }, '\u0000'];

/** Builds one hostile frame. Schema-invalid frames all address "bob"; bob's inbox must stay empty. */
function hostileFrame(r: ReturnType<typeof rng>): Case {
  const roll = r.int(100);
  if (roll < 1) return { kind: 'fatal', send: r.pick(['binary', 'oversize'] as const) };
  if (roll < 3) return { kind: 'raw-bad-utf8' };
  const valid: Record<string, unknown>[] = [
    { type: 'msg:R', rid: 'v', cmid: `c${r.int(50)}`, to: 'sink', body: r.str(r.int(40)) },
    { type: 'ack:R', rid: 'v', upTo: r.int(1000) },
    { type: 'sync:R', rid: 'v', after: r.int(20), limit: 1 + r.int(500) },
    { type: 'sync:R', rid: 'v', before: 1 + r.int(20), limit: 1 + r.int(5), ackUpTo: r.int(3) },
    { type: 'ping:R', rid: 'v' },
  ];
  const base: Record<string, unknown> = { type: 'msg:R', rid: 'h', cmid: 'bad', to: 'bob', body: 'x' };
  const texts: (() => string)[] = [
    () => r.str(1 + r.int(200)), // noise
    () => JSON.stringify(base).slice(0, 1 + r.int(40)), // truncated JSON
    () => JSON.stringify({ ...base, [r.pick(['rid', 'cmid', 'to', 'body', 'type'])]: r.pick(weird) }), // wrong type
    () => JSON.stringify({ ...base, [r.str(1 + r.int(8))]: r.pick(weird) }), // unknown member
    () => JSON.stringify({ ...base, body: 'x'.repeat(MAX_FRAME - 200 + r.int(100)) }), // near the limit, over maxBodyBytes
    () => `${'['.repeat(3000 + r.int(1000))}${']'.repeat(3000)}`, // deep nesting (may be unbalanced)
    () =>
      `{"type":"msg:R","rid":"n","cmid":"c","to":"bob","body":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`,
    () => '{"__proto__":{"type":"msg:R","isAdmin":true},"type":"ping:R","rid":"p"}',
    () => `{"type":"msg:R","rid":"p","cmid":"c","to":"bob","body":"b","__proto__":{"x":1}}`,
    () => JSON.stringify({ type: 'msg:A', rid: 'z', cmid: 'c', smid: 's', ts: 1 }), // an A frame from a client
    () => JSON.stringify({ type: 'hello:R', rid: 'h', user: 'u', device: 'd', token: 't', lastSeq: -1 }),
    () => r.pick(['null', '1', '"s"', '[]', '{}', '{"type":null}', '{"type":"ping:R"}']),
    () => JSON.stringify(r.pick(valid)),
  ];
  const text = r.pick(texts)();
  // A mutation can land on a value that is still valid (an empty body): such a frame may be
  // stored, so it must not address bob, whose inbox proves that nothing malformed was stored.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {}
  if (isValidFrame(parsed) && parsed.type === 'msg:R' && parsed.to === 'bob') {
    return { kind: 'answered', text: JSON.stringify({ ...parsed, to: 'sink' }) };
  }
  return { kind: 'answered', text };
}

async function fuzzConnection(c: TestClient, cases: Case[]): Promise<number> {
  const countAnswers = () => c.received.filter((f) => f.type.endsWith(':A') && f.type !== 'hello:A').length;
  const before = countAnswers();
  let expected = 0;
  for (const k of cases) {
    if (k.kind === 'answered') c.send(k.text);
    else
      (c.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
        Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]),
      );
    expected++;
  }
  // The barrier goes through the commit queue (ackUpTo), so it is answered after every msg:R
  // sent before it; a ping could overtake those (RID-3).
  const barrier = await c.request({ type: 'sync:R', after: 0, limit: 1, ackUpTo: 0 });
  expect(barrier.type).toBe('sync:A');
  return countAnswers() - before - 1 - expected; // minus the barrier's own answer
}

describe('hostile client', () => {
  it(`FRAME-8: ${FRAMES} seeded hostile frames (seed ${SEED.toString(16)}) never stop the server or change state`, async () => {
    const server = await fx.start({ maxFrameBytes: MAX_FRAME, maxBodyBytes: 1024 });
    const bystander = await fx.login(server, 'carol', 'd');
    const r = rng(SEED);
    let c = await fx.login(server, 'mallory', 'd');
    let batch: Case[] = [];
    let fatal = 0;
    for (let i = 0; i < FRAMES; i++) {
      const k = hostileFrame(r);
      if (k.kind !== 'fatal') {
        batch.push(k);
        if (batch.length < 100) continue;
      }
      // Every frame that does not close the connection gets exactly one answer (RID-1).
      expect(await fuzzConnection(c, batch)).toBe(0);
      batch = [];
      if (k.kind === 'fatal') {
        fatal++;
        c.send(k.send === 'binary' ? 'binary' : 'x'.repeat(MAX_FRAME + 1), { binary: k.send === 'binary' });
        const closed = await c.closed;
        expect(closed.code).toBe(k.send === 'binary' ? CloseCode.unsupportedData : CloseCode.messageTooBig);
        c = await fx.login(server, 'mallory', 'd');
      }
      await bystander.barrier();
    }
    expect(await fuzzConnection(c, batch)).toBe(0);
    expect(fatal).toBeGreaterThan(0);
    // Still serving: a fresh, well-formed hello works, and nothing malformed reached bob's inbox.
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA.maxSeq).toBe(0);
    await bystander.barrier();
  });
});
