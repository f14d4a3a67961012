/**
 * The store keeps its indexes (inboxes by seq, dedup window, cursors, receipts) in memory and
 * SQLite as an append-only log; these tests prove a restart rebuilds every index from the log,
 * and that a rolled-back transaction leaves nothing behind in memory either.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/server/store.js';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

async function page(c: Awaited<ReturnType<typeof fx.login>>, after: number) {
  const answer = await c.request({ type: 'sync:R', after, limit: 200 });
  if (answer.type !== 'sync:A') throw new Error(JSON.stringify(answer));
  return answer;
}

describe('restart rebuilds the in-memory indexes from the log', () => {
  it('seq continues, dedup answers the old smid with its receipt, cursors and receipts are kept', async () => {
    const db = join(fx.dir(), 'log.db');
    const first = await fx.start({ db });
    const alice = await fx.login(first, 'alice', 'd');
    const sent = [];
    for (const cmid of ['c1', 'c2', 'c3']) sent.push(await sendMsg(alice, 'bob', cmid));
    const bob = await fx.login(first, 'bob', 'd1', { lastSeq: 0 });
    await bob.request({ type: 'ack:R', upTo: 2 }); // 1 and 2 become delivered (RCPT-2)
    const tablet = await fx.login(first, 'bob', 'd2'); // NEWDEV-1: registered at maxSeq 3
    expect(tablet.helloA).toMatchObject({ maxSeq: 3, pending: 0 });
    await first.close();

    const second = await fx.start({ db });
    const alice2 = await fx.login(second, 'alice', 'd');
    // DEDUP-2/3 with no device of bob connected: the old smid, then the receipt the server knows.
    expect(await sendMsg(alice2, 'bob', 'c2')).toMatchObject({ smid: sent[1]!.smid, dup: true });
    expect(await sendMsg(alice2, 'bob', 'c3')).toMatchObject({ smid: sent[2]!.smid, dup: true });
    await alice2.barrier();
    expect(alice2.all('ack:N').map((r) => [r.smid, r.status])).toEqual([
      [sent[1]!.smid, 'delivered'],
      [sent[2]!.smid, 'stored'],
    ]);
    // SEQ-1: the inbox counter continues after the log's last seq.
    const c4 = await sendMsg(alice2, 'bob', 'c4');
    // DUR-2: each device's cursor as acknowledged (d1 acked 2, d2 registered at 3).
    const bob2 = await fx.login(second, 'bob', 'd1');
    expect(bob2.helloA).toMatchObject({ maxSeq: 4, pending: 2 });
    const tablet2 = await fx.login(second, 'bob', 'd2');
    expect(tablet2.helloA).toMatchObject({ maxSeq: 4, pending: 1 });
    const all = await page(bob2, 0);
    expect(all.msgs.map((m) => [m.seq, m.prevSeq, m.cmid, m.body])).toEqual([
      [1, 0, 'c1', 'body of c1'],
      [2, 1, 'c2', 'body of c2'],
      [3, 2, 'c3', 'body of c3'],
      [4, 3, 'c4', 'body of c4'],
    ]);
    expect(all.msgs[3]!.smid).toBe(c4.smid);
    // RCPT-2 exactly once: the ack of 3 and 4 reports those two, not 1 and 2 again.
    await bob2.request({ type: 'ack:R', upTo: 4 });
    await alice2.barrier();
    const delivered = alice2
      .all('ack:N')
      .filter((r) => r.status === 'delivered')
      .map((r) => r.cmid);
    expect(delivered).toEqual(['c2', 'c3', 'c4']);
  });

  it('a third start after more traffic still agrees (the log is replayed in order, twice)', async () => {
    const db = join(fx.dir(), 'log.db');
    let r1 = '';
    for (let round = 1; round <= 3; round++) {
      const server = await fx.start({ db });
      const alice = await fx.login(server, 'alice', 'd');
      const a = await sendMsg(alice, 'bob', `r${round}`);
      if (round === 1) r1 = a.smid;
      expect(await sendMsg(alice, 'bob', 'r1')).toMatchObject({ smid: r1, dup: true });
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      const seqs = (await page(bob, 0)).msgs.map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: round }, (_, i) => i + 1));
      await server.close();
    }
  });
});

describe('Store rollback', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a transaction that throws leaves neither the file nor the memory indexes changed', () => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-store-'));
    const file = join(dir, 'rb.db');
    const store = new Store(file, { uniqueSeq: true });
    const m = { smid: 's1', cmid: 'c1', from: 'a', to: 'b', body: 'x', seq: 1, prevSeq: 0, ts: Date.now() };
    store.transaction(() => {
      store.insertMessage({ ...m, receipt: 'none' }, 'a');
      store.putInbox('b', { maxSeq: 1, accepted: 1 });
      store.putCursor('b', 'd', 0);
    });
    expect(() =>
      store.transaction(() => {
        store.insertMessage({ ...m, smid: 's2', cmid: 'c2', seq: 2, prevSeq: 1, receipt: 'stored' }, 'a');
        store.putInbox('b', { maxSeq: 2, accepted: 2 });
        store.putCursor('b', 'd', 2);
        expect(store.markDelivered('b', 0, 2).map((r) => r.smid)).toEqual(['s1', 's2']);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    const check = (s: Store) => {
      expect(s.inbox('b')).toEqual({ maxSeq: 1, accepted: 1 });
      expect(s.after('b', 0, 10).map((x) => x.smid)).toEqual(['s1']);
      expect(s.dedup('a', 'c2')).toBeUndefined();
      expect(s.cursor('b', 'd')).toBe(0);
      // s1 is still not delivered: a later ack reports it.
      s.transaction(() => expect(s.markDelivered('b', 0, 1).map((r) => r.smid)).toEqual(['s1']));
    };
    check(store);
    store.close();
    // The same after a rebuild (the delivery committed just above is in the log now).
    const reopened = new Store(file, { uniqueSeq: true });
    expect(reopened.inbox('b')).toEqual({ maxSeq: 1, accepted: 1 });
    expect(reopened.transaction(() => reopened.markDelivered('b', 0, 1))).toEqual([]);
    expect(reopened.after('b', 0, 10)).toEqual([{ ...m, smid: 's1' }]);
    reopened.close();
  });

  it('refuses a write outside a transaction before touching the file (memory could not be undone)', () => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-store-'));
    const file = join(dir, 'out.db');
    const store = new Store(file, { uniqueSeq: true });
    expect(() => store.putCursor('b', 'd', 3)).toThrow(/outside a transaction/);
    store.close();
    const reopened = new Store(file, { uniqueSeq: true });
    expect(reopened.cursor('b', 'd')).toBeUndefined();
    reopened.close();
  });
});
