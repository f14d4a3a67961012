/**
 * Every `--fault` demonstrably changes what a client observes: one test per fault, each the
 * mirror of the correct behaviour proved in the other server tests.
 */

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { OFFLINE_QUEUE_CAP, SEQ_RACE_LAG_MS, TRUNCATE_BODY_BYTES } from '../../src/server/faults.js';
import { SERVER_FAULT_NAMES, type ServerFaultName } from '../../src/server/index.js';
import { ALWAYS_ON_FAULTS } from './always-on-faults.js';
import type { TestClient } from './client.js';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

const start = (fault: ServerFaultName, options: Parameters<typeof fx.start>[0] = {}) =>
  fx.start({ ...options, faults: [fault] });

async function seqsOf(c: TestClient, limit = 100): Promise<number[]> {
  const page = await c.request({ type: 'sync:R', after: 0, limit });
  if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
  return page.msgs.map((m) => m.seq);
}

const tested = new Set<string>();
const faultIt = (fault: ServerFaultName, title: string, fn: () => Promise<void>) => {
  tested.add(fault);
  it(`${fault}: ${title}`, fn);
};

describe('server faults', () => {
  faultIt('no-dedup', 'a retransmit is stored again with a new smid and seq (DEDUP-1/2 broken)', async () => {
    const server = await start('no-dedup');
    const alice = await fx.login(server, 'alice', 'd');
    const first = await sendMsg(alice, 'bob', 'c1');
    const again = await sendMsg(alice, 'bob', 'c1');
    expect(again.smid).not.toBe(first.smid);
    expect(again.dup).toBeUndefined();
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await seqsOf(bob)).toEqual([1, 2]);
  });

  faultIt(
    'ack-before-commit',
    'msg:A arrives while the message is not yet in the database (MSG-1 broken)',
    async () => {
      for (const faulty of [false, true]) {
        const db = join(fx.dir(), 'abc.db');
        const server = await fx.start({ db, faults: faulty ? ['ack-before-commit'] : [] });
        const alice = await fx.login(server, 'alice', 'd');
        await sendMsg(alice, 'bob', 'c1');
        // Read the file through a second connection the moment msg:A is in hand.
        const reader = new Database(db, { readonly: true });
        const { n } = reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
        reader.close();
        expect(n).toBe(faulty ? 0 : 1);
        await server.close();
      }
    },
  );

  faultIt('no-standin-receipt', 'no stored ack:N for an offline receiver (RCPT-1 broken)', async () => {
    const server = await start('no-standin-receipt');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await alice.barrier();
    expect(alice.all('ack:N')).toEqual([]);
  });

  faultIt('no-delivered-receipt', 'no delivered ack:N after the receiver acks (RCPT-2 broken)', async () => {
    const server = await start('no-delivered-receipt');
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await bob.next('msg:N');
    await bob.request({ type: 'ack:R', upTo: 1 });
    await alice.barrier();
    expect(alice.all('ack:N')).toEqual([]);
  });

  faultIt('seq-gap', 'the 7th message of an inbox skips a seq (SEQ-1 broken)', async () => {
    const server = await start('seq-gap');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 8; i++) await sendMsg(alice, 'bob', `m${i}`);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    expect(await seqsOf(bob)).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
  });

  faultIt('seq-reuse', 'the 7th message of an inbox shares the seq of the 6th (SEQ-2 broken)', async () => {
    const server = await start('seq-reuse');
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 8; i++) await sendMsg(alice, 'bob', `m${i}`);
    await bob.next('msg:N', (m) => m.cmid === 'm8');
    expect(bob.all('msg:N').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 6, 7]);
    expect(await seqsOf(bob)).toEqual([1, 2, 3, 4, 5, 6, 6, 7]);
  });

  faultIt('no-repush', 'no timed re-push and no backlog push after hello (REPUSH-1/2 broken)', async () => {
    const server = await start('no-repush', { repushMs: 40 });
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await bob.next('msg:N');
    // The correct server re-pushes after 40 ms (ack-sync.test.ts); give it ten times that.
    await expect(bob.next('msg:N', () => true, 400)).rejects.toThrow(/no msg:N/);
    await bob.close();
    const again = await fx.login(server, 'bob', 'd');
    expect(again.helloA.pending).toBe(1);
    await again.barrier();
    expect(again.all('msg:N')).toEqual([]);
  });

  faultIt('sync-page-skip', 'paging forward loses a message at a page boundary (SYNC-4 broken)', async () => {
    const server = await start('sync-page-skip');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 5; i++) await sendMsg(alice, 'bob', `m${i}`);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await bob.request({ type: 'sync:R', after, limit: 2 });
      if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
      seen.push(...page.msgs.map((m) => m.seq));
      if (!page.more) break;
      after = page.msgs.at(-1)!.seq;
    }
    expect(seen).not.toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual([1, 3, 4, 5]);
  });

  faultIt('duplicate-push', 'every msg:N arrives twice', async () => {
    const server = await start('duplicate-push');
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    const [a, b] = [await bob.next('msg:N'), await bob.next('msg:N')];
    expect(b).toEqual(a);
  });

  faultIt(
    'reorder-push',
    'pipelined messages are first-pushed out of seq order (ORDER-2 broken)',
    async () => {
      const server = await start('reorder-push');
      const bob = await fx.login(server, 'bob', 'd');
      const alice = await fx.login(server, 'alice', 'd');
      alice.send({ type: 'msg:R', rid: 'a', cmid: 'c1', to: 'bob', body: 'x' });
      alice.send({ type: 'msg:R', rid: 'b', cmid: 'c2', to: 'bob', body: 'y' });
      const [first, second] = [await bob.next('msg:N'), await bob.next('msg:N')];
      expect([first.seq, second.seq]).toEqual([2, 1]);
    },
  );

  faultIt('bad-schema', 'some frames carry an unknown member (FRAME-4 broken)', async () => {
    const server = await start('bad-schema');
    const c = await fx.client(server, { allowInvalid: true });
    await c.hello('alice', 'd'); // frame 1
    for (let i = 1; i <= 4; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    await c.nextAnswer('p4'); // frame 5; frame 3 (the answer to p2) was the 3rd
    expect(c.invalid).toHaveLength(1);
    expect(JSON.parse(c.invalid[0]!)).toEqual(
      expect.objectContaining({ rid: 'p2', 'x-fault': 'bad-schema' }),
    );
  });

  faultIt('drop-answer', 'the 5th request after hello is never answered (RID-1 broken)', async () => {
    const server = await start('drop-answer');
    const c = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 6; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    await c.nextAnswer('p6');
    const answered = c.all('ping:A').map((a) => a.rid);
    expect(answered).toEqual(['p1', 'p2', 'p3', 'p4', 'p6']);
  });

  faultIt('double-answer', 'the 4th request after hello is answered twice (RID-2 broken)', async () => {
    const server = await start('double-answer');
    const c = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 5; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    await c.nextAnswer('p5');
    expect(c.all('ping:A').map((a) => a.rid)).toEqual(['p1', 'p2', 'p3', 'p4', 'p4', 'p5']);
  });

  faultIt('no-auth', 'a wrong token opens a session (AUTH-2 broken)', async () => {
    const server = await start('no-auth');
    const c = await fx.client(server);
    await expect(c.hello('bob', 'd', { token: 'wrong' })).resolves.toMatchObject({ user: 'bob' });
  });

  faultIt('cursor-not-durable', 'acks are forgotten by a restart (DUR-2 broken)', async () => {
    const db = join(fx.dir(), 'cursor.db');
    const first = await fx.start({ db, faults: ['cursor-not-durable'] });
    const bob = await fx.login(first, 'bob', 'd');
    const alice = await fx.login(first, 'alice', 'd');
    for (let i = 1; i <= 3; i++) await sendMsg(alice, 'bob', `m${i}`);
    expect(await bob.request({ type: 'ack:R', upTo: 3 })).toMatchObject({ upTo: 3 });
    await first.close();
    const second = await fx.start({ db, faults: ['cursor-not-durable'] });
    const again = await fx.login(second, 'bob', 'd');
    expect(again.helloA.pending).toBe(3);
  });

  faultIt('dup-no-receipt', 'a duplicate gets msg:A but not its known receipt (DEDUP-3 broken)', async () => {
    const server = await start('dup-no-receipt');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await alice.next('ack:N');
    expect((await sendMsg(alice, 'bob', 'c1')).dup).toBe(true);
    await alice.barrier();
    expect(alice.all('ack:N')).toHaveLength(1);
  });

  faultIt('sync-ignore-ack', 'ackUpTo on sync:R does not move the cursor (SYNC-3 broken)', async () => {
    const server = await start('sync-ignore-ack');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 3; i++) await sendMsg(alice, 'bob', `m${i}`);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    await bob.request({ type: 'sync:R', after: 3, limit: 5, ackUpTo: 3 });
    await bob.close();
    const again = await fx.login(server, 'bob', 'd');
    expect(again.helloA.pending).toBe(3);
  });

  faultIt(
    'shared-cursor',
    "one device's ack advances the other devices' cursor (MDEV-1 broken)",
    async () => {
      const server = await start('shared-cursor');
      const phone = await fx.login(server, 'bob', 'phone');
      const laptop = await fx.login(server, 'bob', 'laptop');
      const alice = await fx.login(server, 'alice', 'd');
      for (let i = 1; i <= 3; i++) await sendMsg(alice, 'bob', `m${i}`);
      await phone.next('msg:N', (m) => m.seq === 3);
      await phone.request({ type: 'ack:R', upTo: 3 });
      await laptop.close();
      const laptop2 = await fx.login(server, 'bob', 'laptop');
      expect(laptop2.helloA.pending).toBe(0);
    },
  );

  faultIt(
    'lost-offline',
    'a message for an offline receiver is acknowledged but never stored (OFF-1 broken)',
    async () => {
      const server = await start('lost-offline');
      const alice = await fx.login(server, 'alice', 'd');
      await sendMsg(alice, 'bob', 'c1');
      expect(await alice.next('ack:N')).toMatchObject({ status: 'stored' });
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      expect(bob.helloA.maxSeq).toBe(0);
    },
  );

  faultIt(
    'dedup-by-cmid',
    "a second user's equal cmid is taken for a duplicate of the first user's message (DEDUP-1 broken)",
    async () => {
      const server = await start('dedup-by-cmid');
      const alice = await fx.login(server, 'alice', 'd');
      const carol = await fx.login(server, 'carol', 'd');
      const first = await sendMsg(alice, 'bob', 'c1');
      const other = await sendMsg(carol, 'bob', 'c1', 'carol says hi');
      expect(other).toMatchObject({ smid: first.smid, dup: true });
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      expect(await seqsOf(bob)).toEqual([1]);
    },
  );

  faultIt(
    'truncate-body',
    `a body over ${TRUNCATE_BODY_BYTES} bytes comes back cut (SEQ-3 broken)`,
    async () => {
      const server = await start('truncate-body');
      const alice = await fx.login(server, 'alice', 'd');
      const long = 'x'.repeat(TRUNCATE_BODY_BYTES + 10);
      await sendMsg(alice, 'bob', 'long', long);
      await sendMsg(alice, 'bob', 'short', 'fits');
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      const page = await bob.request({ type: 'sync:R', after: 0, limit: 10 });
      if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
      expect(page.msgs.map((m) => m.body.length)).toEqual([TRUNCATE_BODY_BYTES, 4]);
    },
  );

  faultIt('bmp-only', 'emoji come back as U+FFFD while other characters survive (SEQ-3 broken)', async () => {
    const server = await start('bmp-only');
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1', 'héllo 世界 😀');
    expect((await bob.next('msg:N')).body).toBe('héllo 世界 \uFFFD');
  });

  faultIt(
    'seq-race',
    'two senders whose messages arrive together get the same seq (SEQ-2 broken)',
    async () => {
      const server = await start('seq-race');
      const bob = await fx.login(server, 'bob', 'd');
      const alice = await fx.login(server, 'alice', 'd');
      const carol = await fx.login(server, 'carol', 'd');
      // Pipelined: both requests reach the server in one turn, before either commits.
      alice.send({ type: 'msg:R', rid: 'a', cmid: 'a1', to: 'bob', body: 'from alice' });
      carol.send({ type: 'msg:R', rid: 'c', cmid: 'c1', to: 'bob', body: 'from carol' });
      await bob.next('msg:N', (m) => m.cmid === 'a1');
      await bob.next('msg:N', (m) => m.cmid === 'c1');
      expect(bob.all('msg:N').map((m) => m.seq)).toEqual([1, 1]);
    },
  );

  it('seq-race: one after the other but within the lag, a second message still reuses the seq; after it, not', async () => {
    const server = await start('seq-race');
    const alice = await fx.login(server, 'alice', 'd');
    // Each msg:A is awaited, so the requests reach the server in separate turns and transactions.
    // The second arrives within the lag only if the first's round trip was shorter than it, which
    // a busy machine does not promise: msg:A's ts is when the server took each request, and the
    // first one's commit (which the replica sees a lag later) came after its ts. A pair that
    // arrived further apart proves nothing, so it is tried again on a fresh inbox.
    for (let attempt = 0; attempt < 10; attempt++) {
      const to = `bob${attempt}`;
      const first = await sendMsg(alice, to, `c1-${attempt}`);
      const second = await sendMsg(alice, to, `c2-${attempt}`);
      if (second.ts - first.ts >= SEQ_RACE_LAG_MS) continue;
      await sleep(SEQ_RACE_LAG_MS * 3);
      await sendMsg(alice, to, `c3-${attempt}`);
      const bob = await fx.login(server, to, 'd', { lastSeq: 0 });
      expect(await seqsOf(bob)).toEqual([1, 1, 2]);
      return;
    }
    throw new Error(
      `no two messages reached the server within ${SEQ_RACE_LAG_MS} ms of each other in 10 tries`,
    );
  });

  faultIt(
    'repush-acked',
    "an ack stops only one sender's re-pushes: the other sender's acked message comes again (PUSH-2 broken)",
    async () => {
      const server = await start('repush-acked', { repushMs: 60 });
      const bob = await fx.login(server, 'bob', 'd');
      const alice = await fx.login(server, 'alice', 'd');
      const carol = await fx.login(server, 'carol', 'd');
      await sendMsg(alice, 'bob', 'a1');
      await sendMsg(carol, 'bob', 'c1');
      await bob.next('msg:N', (m) => m.seq === 2);
      expect(await bob.request({ type: 'ack:R', upTo: 2 })).toMatchObject({ upTo: 2 });
      const after = bob.all('msg:N').length;
      const again = await bob.next('msg:N', (m) => m.seq === 1 && (m.attempt ?? 1) > 1);
      expect(again.cmid).toBe('a1');
      expect(bob.all('msg:N').length).toBeGreaterThan(after);
    },
  );

  faultIt(
    'offline-cap',
    `past ${OFFLINE_QUEUE_CAP} messages for an offline receiver, one is receipted stored and dropped (OFF-1 broken)`,
    async () => {
      const server = await start('offline-cap');
      const alice = await fx.login(server, 'alice', 'd');
      for (let i = 1; i <= OFFLINE_QUEUE_CAP + 1; i++) await sendMsg(alice, 'bob', `m${i}`);
      await alice.next('ack:N', (n) => n.cmid === `m${OFFLINE_QUEUE_CAP + 1}`);
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      expect(bob.helloA.maxSeq).toBe(OFFLINE_QUEUE_CAP);
    },
  );

  faultIt(
    'ack-wrong-device',
    "the older device's ack moves the newer device's cursor, not its own (ACK-1 broken)",
    async () => {
      const server = await start('ack-wrong-device');
      const phone = await fx.login(server, 'bob', 'phone');
      const laptop = await fx.login(server, 'bob', 'laptop');
      const alice = await fx.login(server, 'alice', 'd');
      for (let i = 1; i <= 2; i++) await sendMsg(alice, 'bob', `m${i}`);
      await phone.next('msg:N', (m) => m.seq === 2);
      expect(await phone.request({ type: 'ack:R', upTo: 2 })).toMatchObject({ upTo: 2 });
      await laptop.close();
      await phone.close();
      const phone2 = await fx.login(server, 'bob', 'phone');
      expect(phone2.helloA.pending).toBe(2);
    },
  );

  faultIt(
    'sync-clamp-more',
    'a page limit above syncLimitMax says more: false though messages remain (SYNC-1 broken)',
    async () => {
      const server = await start('sync-clamp-more', { syncLimitMax: 3 });
      const alice = await fx.login(server, 'alice', 'd');
      for (let i = 1; i <= 5; i++) await sendMsg(alice, 'bob', `m${i}`);
      const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
      const page = await bob.request({ type: 'sync:R', after: 0, limit: 10 });
      expect(page).toMatchObject({ type: 'sync:A', more: false, maxSeq: 5 });
      if (page.type === 'sync:A') expect(page.msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
    },
  );

  faultIt(
    'smid-restart',
    'a message after a restart gets the smid of one before it (MSG-2 broken)',
    async () => {
      const db = join(fx.dir(), 'smid.db');
      const first = await fx.start({ db, faults: ['smid-restart'] });
      const alice = await fx.login(first, 'alice', 'd');
      const before = await sendMsg(alice, 'bob', 'c1');
      await first.close();
      const second = await fx.start({ db, faults: ['smid-restart'] });
      const alice2 = await fx.login(second, 'alice', 'd');
      const after = await sendMsg(alice2, 'bob', 'c2');
      expect(after.smid).toBe(before.smid);
      // The store trusted the smid: the message before the restart is gone.
      const bob = await fx.login(second, 'bob', 'd', { lastSeq: 0 });
      expect(await seqsOf(bob)).toEqual([2]);
    },
  );

  faultIt(
    'no-hello-timeout',
    'a silent connection outlives limits.helloTimeoutMs (AUTH-4 broken)',
    async () => {
      const server = await start('no-hello-timeout', { helloTimeoutMs: 50 });
      const silent = await fx.client(server);
      const closed = await Promise.race([silent.closed.then(() => true), sleep(500).then(() => false)]);
      expect(closed).toBe(false);
      // Still served after ten timeouts: a ping before hello is answered (PING-1).
      expect(await silent.request({ type: 'ping:R' })).toMatchObject({ type: 'ping:A' });
    },
  );

  it('every fault in the catalogue has a test here (or in faults-always-on.test.ts)', () => {
    expect([...tested, ...ALWAYS_ON_FAULTS].sort()).toEqual([...SERVER_FAULT_NAMES].sort());
  });
});
