/**
 * Acks, sync paging, catching up, and re-pushes.
 */

import { describe, expect, it } from 'vitest';
import type { SyncA } from '../../src/protocol/frames.js';
import type { TestClient } from './client.js';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

async function sync(c: TestClient, frame: Record<string, unknown>): Promise<SyncA> {
  const a = await c.request({ type: 'sync:R', ...frame });
  if (a.type !== 'sync:A') throw new Error(`sync:R answered ${JSON.stringify(a)}`);
  return a;
}

async function fill(server: Awaited<ReturnType<typeof fx.start>>, to: string, n: number) {
  const alice = await fx.login(server, 'alice', 'sender');
  for (let i = 1; i <= n; i++) alice.send({ type: 'msg:R', rid: `f${i}`, cmid: `m${i}`, to, body: `b${i}` });
  await alice.nextAnswer(`f${n}`);
  for (let i = 1; i < n; i++) await alice.nextAnswer(`f${i}`);
  return alice;
}

describe('acks', () => {
  it('ACK-1/ACK-3: ack:A carries the cursor, which is committed and counts on the next hello', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 5);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await bob.request({ type: 'ack:R', upTo: 4 })).toMatchObject({ type: 'ack:A', upTo: 4 });
    await bob.close();
    const again = await fx.login(server, 'bob', 'd');
    expect(again.helloA.pending).toBe(1);
  });

  it('ACK-2: an upTo above maxSeq gets bad-ack and changes nothing', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 2);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await bob.request({ type: 'ack:R', upTo: 3 })).toMatchObject({ type: 'error:A', code: 'bad-ack' });
    expect(await bob.request({ type: 'ack:R', upTo: 0 })).toMatchObject({ type: 'ack:A', upTo: 0 });
  });

  it('ACK-4: a cursor never moves backwards; a lower upTo reports the unchanged cursor', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 3);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    await bob.request({ type: 'ack:R', upTo: 3 });
    expect(await bob.request({ type: 'ack:R', upTo: 1 })).toMatchObject({ type: 'ack:A', upTo: 3 });
  });

  it('MDEV-1: each device has its own cursor; one device acking never advances another', async () => {
    const server = await fx.start();
    const phone = await fx.login(server, 'bob', 'phone');
    const laptop = await fx.login(server, 'bob', 'laptop');
    await fill(server, 'bob', 3);
    await phone.next('msg:N', (m) => m.seq === 3);
    await phone.request({ type: 'ack:R', upTo: 3 });
    await Promise.all([phone.close(), laptop.close()]);
    const phone2 = await fx.login(server, 'bob', 'phone');
    const laptop2 = await fx.login(server, 'bob', 'laptop');
    expect(phone2.helloA.pending).toBe(0);
    expect(laptop2.helloA.pending).toBe(3);
  });
});

describe('sync', () => {
  it('SYNC-1: after n returns n+1 … n+k ascending, more exactly when messages remain, current maxSeq', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 5);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const p1 = await sync(bob, { after: 0, limit: 2 });
    expect(p1.msgs.map((m) => m.seq)).toEqual([1, 2]);
    expect(p1).toMatchObject({ more: true, maxSeq: 5 });
    const p2 = await sync(bob, { after: 3, limit: 2 });
    expect(p2.msgs.map((m) => m.seq)).toEqual([4, 5]);
    expect(p2.more).toBe(false); // exactly at the boundary: nothing above 5
    const p3 = await sync(bob, { after: 5, limit: 2 });
    expect(p3).toMatchObject({ msgs: [], more: false, maxSeq: 5 });
  });

  it('SYNC-2: before n returns the messages just below n ascending; before maxSeq+1 reads the newest page', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 5);
    const bob = await fx.login(server, 'bob', 'new-device');
    const newest = await sync(bob, { before: 6, limit: 2 });
    expect(newest.msgs.map((m) => m.seq)).toEqual([4, 5]);
    expect(newest.more).toBe(true);
    const older = await sync(bob, { before: 4, limit: 3 });
    expect(older.msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(older.more).toBe(false); // exactly at the boundary: nothing below 1
  });

  it('SYNC-3: ackUpTo is applied before the page is read, so the ack rides on the next request', async () => {
    const server = await fx.start();
    const alice = await fill(server, 'bob', 4);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const p1 = await sync(bob, { after: 0, limit: 2 });
    await sync(bob, { after: 2, limit: 2, ackUpTo: p1.msgs.at(-1)!.seq });
    expect((await alice.next('ack:N', (r) => r.status === 'delivered' && r.cmid === 'm2')).to).toBe('bob');
    await bob.close();
    const again = await fx.login(server, 'bob', 'd');
    expect(again.helloA.pending).toBe(2);
  });

  it('SYNC-3/ACK-2: ackUpTo above maxSeq is answered with bad-ack and no page', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 1);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await bob.request({ type: 'sync:R', after: 0, limit: 5, ackUpTo: 9 })).toMatchObject({
      type: 'error:A',
      code: 'bad-ack',
    });
  });

  it('SYNC-4: paging forward with after = last seq of the previous page yields every seq exactly once', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 23);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await sync(bob, { after, limit: 5 });
      seen.push(...page.msgs.map((m) => m.seq));
      if (!page.more) break;
      after = page.msgs.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });

  it('SYNC-5: both or neither of after and before get bad-sync; pages are clamped to syncLimitMax', async () => {
    const server = await fx.start({ syncLimitMax: 3 });
    await fill(server, 'bob', 5);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await bob.request({ type: 'sync:R', limit: 5 })).toMatchObject({ code: 'bad-sync' });
    expect(await bob.request({ type: 'sync:R', after: 0, before: 3, limit: 5 })).toMatchObject({
      code: 'bad-sync',
    });
    const page = await sync(bob, { after: 0, limit: 100 });
    expect(page.msgs).toHaveLength(3);
    expect(page.more).toBe(true);
  });

  it('SYNC-6: with pending above pushWindow nothing is pushed until a forward page ends with more: false', async () => {
    const server = await fx.start({ pushWindow: 2 });
    const alice = await fill(server, 'bob', 4);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(bob.helloA.pending).toBe(4);
    await sendMsg(alice, 'bob', 'live-too-early');
    await bob.barrier();
    expect(bob.all('msg:N')).toEqual([]); // catching up: not live
    const p1 = await sync(bob, { after: 0, limit: 3 });
    expect(p1.more).toBe(true);
    const p2 = await sync(bob, { after: 3, limit: 3, ackUpTo: 3 });
    expect(p2.msgs.map((m) => m.seq)).toEqual([4, 5]);
    expect(p2.more).toBe(false); // now live
    const a = await sendMsg(alice, 'bob', 'now-live');
    expect(await bob.next('msg:N')).toMatchObject({ smid: a.smid, seq: 6 });
  });
});

describe('re-push', () => {
  it('REPUSH-1/REPUSH-3: an unacked push comes again after repushMs with the same smid and seq and attempt + 1', async () => {
    const server = await fx.start({ repushMs: 60 });
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    const a = await sendMsg(alice, 'bob', 'c1');
    const first = await bob.next('msg:N');
    const second = await bob.next('msg:N');
    const third = await bob.next('msg:N');
    expect([first, second, third].map((m) => [m.smid, m.seq, m.attempt])).toEqual([
      [a.smid, 1, 1],
      [a.smid, 1, 2],
      [a.smid, 1, 3],
    ]);
    expect(second.body).toBe(first.body); // SEQ-3: same content in every re-push
    await bob.request({ type: 'ack:R', upTo: 1 });
    const ackAt = bob.received.findIndex((f) => f.type === 'ack:A');
    // c2 is pushed and, unacked, re-pushed; c1 was due earlier, so had it not been cancelled by
    // the ack it would have come again before c2's re-push.
    await sendMsg(alice, 'bob', 'c2');
    await bob.next('msg:N', (m) => m.cmid === 'c2' && m.attempt === 2);
    const afterAck = bob.received.slice(ackAt).filter((f) => f.type === 'msg:N' && f.cmid === 'c1');
    expect(afterAck).toEqual([]);
  });

  it('REPUSH-2: after hello with 0 < pending ≤ pushWindow, seqs base+1 … maxSeq are pushed in order unasked', async () => {
    const server = await fx.start();
    await fill(server, 'bob', 3);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 1 });
    expect(bob.helloA.pending).toBe(2);
    const pushes = [await bob.next('msg:N'), await bob.next('msg:N')];
    expect(pushes.map((m) => m.seq)).toEqual([2, 3]);
  });
});
