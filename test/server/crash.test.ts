/**
 * DUR-1/DUR-3 against a real process: pipeline many messages, SIGKILL the server the moment
 * msg:A frames arrive, restart it on the same file, and find every acknowledged message — with
 * the seq it was pushed with — and its dedup entry. With `--fault ack-before-commit` the same run
 * loses messages, which proves the test can fail.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MsgA, MsgN, StoredMessage } from '../../src/protocol/frames.js';
import { TEST_SECRET, TestClient } from './client.js';
import { type ServeProcess, startServe } from './spawn.js';

const MESSAGES = 400;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function serve(db: string, faults: string[] = []): Promise<ServeProcess> {
  const args = ['--port', '0', '--db', db, '--hmac-secret', TEST_SECRET, '--quiet'];
  const p = await startServe([...args, ...faults.flatMap((f) => ['--fault', f])]);
  cleanup.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  });
  return p;
}

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  cleanup.push(() => c.terminate());
  return c;
}

interface CrashRun {
  acked: MsgA[];
  pushed: MsgN[];
  after: StoredMessage[];
  dupAnswers: MsgA[];
}

/** Sends MESSAGES pipelined, kills -9 on the `killAfter`-th msg:A, restarts, reads everything back. */
async function crashRun(faults: string[], killAfter: number): Promise<CrashRun> {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-crash-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'server.db');
  const first = await serve(db, faults);
  const bob = await connect(first.url);
  await bob.hello('bob', 'phone');
  const alice = await connect(first.url);
  await alice.hello('alice', 'phone');

  let acks = 0;
  alice.ws.on('message', (data) => {
    // SIGKILL in the same tick the msg:A is read: the server cannot have done anything since.
    if (String(data).includes('"msg:A"') && ++acks === killAfter) first.child.kill('SIGKILL');
  });
  for (let i = 0; i < MESSAGES; i++) {
    alice.send({ type: 'msg:R', rid: `r${i}`, cmid: `c${i}`, to: 'bob', body: `body ${i}` });
  }
  await Promise.all([alice.closed, bob.closed, first.exited]);
  const acked = alice.all('msg:A');
  const pushed = bob.all('msg:N');

  const second = await serve(db, faults);
  const reader = await connect(second.url);
  await reader.hello('bob', 'tablet', { lastSeq: 0 });
  const after: StoredMessage[] = [];
  for (let more = true, from = 0; more; ) {
    const page = await reader.request({ type: 'sync:R', after: from, limit: 200 });
    if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
    after.push(...page.msgs);
    more = page.more;
    from = page.msgs.at(-1)?.seq ?? from;
  }
  // DUR-3: retransmit every acknowledged cmid after the crash.
  const sender = await connect(second.url);
  await sender.hello('alice', 'phone');
  const dupAnswers: MsgA[] = [];
  for (const a of acked) {
    const answer = await sender.request({ type: 'msg:R', cmid: a.cmid, to: 'bob', body: 'retransmit' });
    if (answer.type === 'msg:A') dupAnswers.push(answer);
  }
  return { acked, pushed, after, dupAnswers };
}

describe('crash durability (kill -9)', () => {
  it('DUR-1/MSG-1: every message answered with msg:A survives kill -9 with its smid, cmid, body and pushed seq', async () => {
    const run = await crashRun([], 50);
    expect(run.acked.length).toBeGreaterThanOrEqual(50);
    const bySmid = new Map(run.after.map((m) => [m.smid, m]));
    for (const a of run.acked) {
      const m = bySmid.get(a.smid);
      expect(m, `acknowledged ${a.cmid} (${a.smid}) is missing after the crash`).toBeDefined();
      expect(m).toMatchObject({ cmid: a.cmid, from: 'alice', to: 'bob', body: `body ${a.cmid.slice(1)}` });
    }
    for (const n of run.pushed) expect(bySmid.get(n.smid)?.seq).toBe(n.seq);
    // SEQ-1 across the crash: contiguous from 1.
    expect(run.after.map((m) => m.seq)).toEqual(run.after.map((_, i) => i + 1));
    // DUR-3: the dedup state survived too.
    expect(run.dupAnswers.map((a) => [a.cmid, a.smid, a.dup])).toEqual(
      run.acked.map((a) => [a.cmid, a.smid, true]),
    );
  });

  it('ack-before-commit: the same run loses acknowledged messages (the test can fail)', async () => {
    const run = await crashRun(['ack-before-commit'], 1);
    const stored = new Set(run.after.map((m) => m.smid));
    const lost = run.acked.filter((a) => !stored.has(a.smid));
    expect(run.acked.length).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(0);
  });
});
