/**
 * Graceful shutdown (SHUT-1), restarts on the same file (DUR-1/2/3), and the `imspec serve`
 * process contract: first stdout line, SIGTERM → exit 0, bad options → exit 2.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hmacToken } from '../../src/protocol/auth.js';
import { CloseCode } from '../../src/protocol/frames.js';
import { SERVER_FAULT_NAMES } from '../../src/server/index.js';
import { TEST_SECRET, TestClient } from './client.js';
import { sendMsg, useFixture } from './fixture.js';
import { runCli, type ServeProcess, startServe } from './spawn.js';

const fx = useFixture();
const procs: ServeProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
});
const serve = async (args: string[]) => {
  const p = await startServe(args);
  procs.push(p);
  return p;
};

/** Pipelines n msg:R frames; returns their rids. */
function pipeline(c: TestClient, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const rid = `s${i}`;
    c.send({ type: 'msg:R', rid, cmid: `c${i}`, to: 'bob', body: `b${i}` });
    return rid;
  });
}

describe('graceful shutdown and restart', () => {
  it('SHUT-1: close() answers every pending request, closes with 1001, and what was acknowledged is stored', async () => {
    const db = join(fx.dir(), 'shut.db');
    const server = await fx.start({ db });
    const alice = await fx.login(server, 'alice', 'd');
    const rids = pipeline(alice, 200);
    await alice.nextAnswer('s0');
    await server.close();
    expect((await alice.closed).code).toBe(CloseCode.goingAway);
    const answers = alice.received.filter((f) => f.type === 'msg:A' || f.type === 'error:A');
    // Each request answered at most once; those sent after the shutdown began may get nothing,
    // or shutting-down, but never a msg:A for an uncommitted message.
    const answered = answers.map((f) => (f as { rid: string }).rid);
    expect(new Set(answered).size).toBe(answered.length);
    expect(answered.every((r) => rids.includes(r))).toBe(true);
    const again = await fx.start({ db });
    const bob = await fx.login(again, 'bob', 'd', { lastSeq: 0 });
    const page = await bob.request({ type: 'sync:R', after: 0, limit: 200 });
    if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
    const stored = new Set(page.msgs.map((m) => m.smid));
    for (const a of alice.all('msg:A')) expect(stored.has(a.smid)).toBe(true);
  });

  it('DUR-2/DUR-3/DEDUP-5: ack cursors and the (24 h) dedup state survive a restart', async () => {
    const db = join(fx.dir(), 'restart.db');
    const first = await fx.start({ db });
    const bob = await fx.login(first, 'bob', 'd');
    const alice = await fx.login(first, 'alice', 'd');
    const a = await sendMsg(alice, 'bob', 'c1');
    await sendMsg(alice, 'bob', 'c2');
    await bob.request({ type: 'ack:R', upTo: 1 });
    await first.close();
    const second = await fx.start({ db });
    const bob2 = await fx.login(second, 'bob', 'd');
    expect(bob2.helloA).toMatchObject({ maxSeq: 2, pending: 1 });
    const alice2 = await fx.login(second, 'alice', 'd');
    expect(alice2.helloA.limits.dedupWindowMs).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    expect(await sendMsg(alice2, 'bob', 'c1')).toMatchObject({ smid: a.smid, dup: true });
  });
});

describe('imspec serve (process)', () => {
  it('prints the listening line first, serves, and exits 0 on SIGTERM after closing connections with 1001', async () => {
    const db = join(fx.dir(), 'proc.db');
    const p = await serve(['--port', '0', '--db', db, '--hmac-secret', TEST_SECRET]);
    expect(p.stdout[0]).toBe(`imspec serve: listening on ${p.url}`);
    const alice = await TestClient.connect(p.url);
    await alice.hello('alice', 'd');
    const rids = pipeline(alice, 100);
    await alice.nextAnswer(rids[0]!);
    p.child.kill('SIGTERM');
    expect((await alice.closed).code).toBe(CloseCode.goingAway);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    const acked = alice.all('msg:A');
    const again = await fx.start({ db });
    const bob = await fx.login(again, 'bob', 'd', { lastSeq: 0 });
    const page = await bob.request({ type: 'sync:R', after: 0, limit: 200 });
    if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
    const stored = new Set(page.msgs.map((m) => m.smid));
    expect(acked.every((a) => stored.has(a.smid))).toBe(true);
  });

  it('generates and prints an HMAC secret when no auth option is given, and accepts --tokens-file', async () => {
    const tokens = join(fx.dir(), 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ zed: 'zeds-token' }));
    const generated = await serve(['--port', '0', '--db', join(fx.dir(), 'a.db')]);
    const secretLine =
      generated.stdout.find((l) => l.includes('hmac secret')) ?? (await lineOf(generated, /hmac secret/));
    const secret = /hmac secret (\S+)/.exec(secretLine)![1]!;
    const c = await TestClient.connect(generated.url);
    await expect(c.hello('ann', 'd', { token: hmacToken(secret, 'ann') })).resolves.toMatchObject({
      user: 'ann',
    });
    c.terminate();
    generated.child.kill('SIGTERM');
    expect((await generated.exited).code).toBe(0);

    const withFile = await serve([
      '--port',
      '0',
      '--db',
      join(fx.dir(), 'b.db'),
      '--tokens-file',
      tokens,
      '-q',
    ]);
    const z = await TestClient.connect(withFile.url);
    await expect(z.hello('zed', 'd', { token: 'zeds-token' })).resolves.toMatchObject({ user: 'zed' });
    z.terminate();
    withFile.child.kill('SIGINT');
    expect((await withFile.exited).code).toBe(0);
  });

  it('exits 2 with a clear message on bad options', async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--fault', 'nope'], /unknown fault/],
      [['serve', '--port', 'abc'], /non-negative integer/],
      [
        ['serve', '--port', '70000', '--db', join(fx.dir(), 'p.db')],
        /port must be an integer from 0 to 65535/,
      ],
      [['serve', '--token', 'no-colon'], /USER:TOKEN/],
      [['serve', '--tokens-file', join(fx.dir(), 'missing.json')], /tokens-file/],
      [['serve', '--bogus'], /unknown option/],
      // Node fires a longer timer at once: refused before the server starts, naming the flag.
      [['serve', '--port', '0', '--idle-ms', '3000000000'], /'--idle-ms <n>'.*from 1 to 2147483647/],
      [['serve', '--port', '0', '--hello-timeout-ms', '2147483648'], /'--hello-timeout-ms <n>'.*2147483647/],
      [['serve', '--port', '0', '--repush-ms', '0'], /'--repush-ms <n>'.*from 1 to/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    cases.forEach(([args, message], i) => {
      expect({ args, code: results[i]!.code }).toEqual({ args, code: 2 });
      expect(results[i]!.stderr).toMatch(message);
    });
  });

  it('--help documents every option with its default and lists every fault', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--host',
      '--port',
      '--db',
      '--repush-ms',
      '--push-window',
      '--idle-ms',
      '--no-group-commit',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/--repush-ms <n>[\s\S]*default: 2000/);
    for (const fault of SERVER_FAULT_NAMES) expect(r.stdout).toContain(fault);
  });
});

/** Waits for a stdout line matching `re` (lines after the first may come a moment later). */
function lineOf(p: Awaited<ReturnType<typeof startServe>>, re: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const line = p.stdout.find((l) => re.test(l));
      if (line) resolve(line);
      else p.child.stdout!.once('data', () => setImmediate(check));
    };
    check();
  });
}
