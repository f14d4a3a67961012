/**
 * The proxy in front of the reference server: each fault shows up as the protocol says a correct
 * server answers it. These are not conformance cases (suites/faults has those); they prove the
 * proxy injects what it claims against a real RAN/1 server.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FaultRecord } from '../../src/faults/types.js';
import { startWsProxy, type WsProxy } from '../../src/faults/ws-proxy.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { type Client, connect } from './peers.js';

const SECRET = 'faults-test';
let dir: string;
let server: RunningServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imspec-faults-'));
  server = await startServer({ port: 0, db: join(dir, 'ref.db'), hmacSecret: SECRET });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function proxy(rules: unknown[]): Promise<WsProxy> {
  const p = await startWsProxy({
    upstream: server.url,
    rules: resolveFaultRules(rules),
    rng: createRng('ref'),
  });
  cleanups.push(() => p.close());
  return p;
}

/** Connects and logs in; resolves once hello:A arrived. */
async function login(url: string, user: string, lastSeq?: number): Promise<Client> {
  const c = await connect(url);
  cleanups.push(() => c.ws.terminate());
  c.send({ type: 'hello:R', rid: 'h', user, device: 'phone', token: hmacToken(SECRET, user), lastSeq });
  await c.until(() => c.frames().some((f) => f.type === 'hello:A'), 'hello:A');
  return c;
}

const typed = (c: Client, type: string) => c.frames().filter((f) => f.type === type);

describe('fault proxy against the reference server', () => {
  it('a dropped msg:A is recovered by retransmitting the same cmid: same smid, dup: true (DEDUP-1)', async () => {
    const p = await proxy([{ match: { op: 'msg', kind: 'A' }, nth: 1, action: 'drop' }]);
    const a = await login(p.url, 'alice');
    a.send({ type: 'msg:R', rid: 'r1', cmid: 'c1', to: 'bob', body: 'hi' });
    await a.until(() => p.events.length === 1, 'the drop');
    a.send({ type: 'msg:R', rid: 'r2', cmid: 'c1', to: 'bob', body: 'hi' });
    await a.until(() => typed(a, 'msg:A').length === 1, 'msg:A of the retransmission');
    const dropped = JSON.parse((p.events[0] as FaultRecord).frame!) as { smid: string };
    expect(typed(a, 'msg:A')[0]).toMatchObject({ rid: 'r2', cmid: 'c1', smid: dropped.smid, dup: true });
  });

  it('a duplicated msg:R is stored once: one msg:N for the receiver, the copy answered dup: true (DEDUP-2)', async () => {
    const p = await proxy([{ match: { op: 'msg', kind: 'R' }, action: 'duplicate' }]);
    const b = await login(p.url, 'bob');
    const a = await login(p.url, 'alice');
    a.send({ type: 'msg:R', rid: 'r1', cmid: 'c1', to: 'bob', body: 'hi' });
    await a.until(() => typed(a, 'msg:A').length === 2, 'two msg:A');
    await b.until(() => typed(b, 'msg:N').length === 1, 'msg:N');
    expect(typed(a, 'msg:A').map((f) => f.dup)).toEqual([undefined, true]);
    // Let the server answer something after the msg:N so a second push would have shown up by then.
    b.send({ type: 'ping:R', rid: 'p1' });
    await b.until(() => typed(b, 'ping:A').length === 1, 'ping:A');
    expect(typed(b, 'msg:N')).toHaveLength(1);
  });

  it('corrupt json and corrupt schema are answered bad-json (rid null) and bad-frame naming the member (FRAME-2, FRAME-3)', async () => {
    const p = await proxy([
      { match: { op: 'msg', kind: 'R' }, nth: 1, action: 'corrupt' },
      { match: { op: 'msg', kind: 'R' }, nth: 2, action: { type: 'corrupt', mode: 'schema', field: 'to' } },
    ]);
    const a = await login(p.url, 'alice');
    a.send({ type: 'msg:R', rid: 'r1', cmid: 'c1', to: 'bob', body: 'x' });
    a.send({ type: 'msg:R', rid: 'r2', cmid: 'c2', to: 'bob', body: 'y' });
    await a.until(() => typed(a, 'error:A').length === 2, 'two error:A');
    const [json, schema] = typed(a, 'error:A');
    expect(json).toMatchObject({ rid: null, code: 'bad-json' });
    expect(schema).toMatchObject({ rid: 'r2', code: 'bad-frame' });
    expect(String(schema!.message)).toMatch(/to/);
  });

  it('a wrong hello behind a pipelined burst reaches the client as error:A then close 4401 (AUTH-2)', async () => {
    // The scenario's rules: frames are parsed (not tunnelled) and none of these is touched.
    const p = await proxy([
      { match: { op: 'ack', kind: 'R' }, probability: 0.08, action: 'drop' },
      { match: { op: 'ack', kind: 'N' }, probability: 0.04, action: 'drop' },
    ]);
    const c = await connect(p.url);
    cleanups.push(() => c.ws.terminate());
    // More pings than the server handles per turn: the hello is judged from the session's backlog,
    // its socket paused, and the close must still complete (a paused socket never read the close
    // reply, so the proxy saw no close to mirror until ws's 30 s timer).
    for (let i = 0; i < 100; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    c.send({ type: 'hello:R', rid: 'h', user: 'bob', device: 'phone', token: 'wrong' });
    expect((await c.closed).code).toBe(4401);
    expect(typed(c, 'error:A')).toMatchObject([{ rid: 'h', code: 'auth-failed' }]);
    expect(typed(c, 'ping:A')).toHaveLength(100);
    expect(p.events).toEqual([]);
  }, 15_000);

  it('a cut after msg:A leaves the message stored: the receiver gets it when it connects (OFF-1)', async () => {
    const p = await proxy([{ match: { op: 'msg', kind: 'A' }, action: { type: 'cut', mode: 'reset' } }]);
    const a = await login(p.url, 'alice');
    a.send({ type: 'msg:R', rid: 'r1', cmid: 'c1', to: 'bob', body: 'kept' });
    expect((await a.closed).code).toBe(1006);
    // lastSeq 0: a device with (empty) local state, so the stored message is pending (HELLO-1).
    const b = await login(server.url, 'bob', 0);
    expect(typed(b, 'hello:A')[0]).toMatchObject({ maxSeq: 1, pending: 1 });
    await b.until(() => typed(b, 'msg:N').length === 1, 'the stored message');
    expect(typed(b, 'msg:N')[0]).toMatchObject({ cmid: 'c1', body: 'kept' });
  });
});
