/**
 * Sending: storage and ids, dedup, inbox seqs, pushes, receipts.
 */

import { describe, expect, it } from 'vitest';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

describe('msg and dedup', () => {
  it('MSG-1/MSG-2: msg:A carries cmid, a unique smid and ts; the message is stored (visible to sync)', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    const a1 = await sendMsg(alice, 'bob', 'c1', 'hello');
    const a2 = await sendMsg(alice, 'bob', 'c2', 'again');
    expect(a1).toMatchObject({ type: 'msg:A', cmid: 'c1' });
    expect(a1.smid).not.toBe(a2.smid);
    expect(a1.dup).toBeUndefined();
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const page = await bob.request({ type: 'sync:R', after: 0, limit: 10 });
    expect(page.type === 'sync:A' && page.msgs).toEqual([
      { smid: a1.smid, cmid: 'c1', from: 'alice', to: 'bob', body: 'hello', seq: 1, prevSeq: 0, ts: a1.ts },
      { smid: a2.smid, cmid: 'c2', from: 'alice', to: 'bob', body: 'again', seq: 2, prevSeq: 1, ts: a2.ts },
    ]);
  });

  it('DEDUP-1/DEDUP-2: a retransmit gets the original smid with dup: true, and no second inbox entry or push', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    const first = await sendMsg(alice, 'bob', 'c1');
    const again = await sendMsg(alice, 'bob', 'c1');
    expect(again).toMatchObject({ smid: first.smid, dup: true, ts: first.ts });
    await sendMsg(alice, 'bob', 'c2');
    await bob.next('msg:N', (m) => m.cmid === 'c2');
    expect(bob.all('msg:N').map((m) => [m.cmid, m.seq])).toEqual([
      ['c1', 1],
      ['c2', 2],
    ]);
  });

  it('DEDUP-1: the same cmid from another sender is a different message', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    const carol = await fx.login(server, 'carol', 'd');
    const a = await sendMsg(alice, 'bob', 'same');
    const c = await sendMsg(carol, 'bob', 'same');
    expect(c.smid).not.toBe(a.smid);
    expect(c.dup).toBeUndefined();
  });

  it('DEDUP-4: a duplicate with another `to` or body changes nothing stored', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    const first = await sendMsg(alice, 'bob', 'c1', 'original');
    const again = await sendMsg(alice, 'carol', 'c1', 'changed');
    expect(again).toMatchObject({ smid: first.smid, dup: true });
    const carol = await fx.login(server, 'carol', 'd');
    expect(carol.helloA.maxSeq).toBe(0);
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const n = await bob.next('msg:N');
    expect(n).toMatchObject({ body: 'original', seq: 1 });
  });

  it('DEDUP-1: after the dedup window a reused cmid is a new message', async () => {
    const server = await fx.start({ dedupWindowMs: 0 });
    const alice = await fx.login(server, 'alice', 'd');
    const first = await sendMsg(alice, 'bob', 'c1');
    const second = await sendMsg(alice, 'bob', 'c1');
    expect(second.smid).not.toBe(first.smid);
    expect(second.dup).toBeUndefined();
  });

  it('DEDUP-3: a duplicate gets its known receipt again: stored while bob is offline, delivered after his ack', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    expect(await alice.next('ack:N')).toMatchObject({ cmid: 'c1', status: 'stored' });
    await sendMsg(alice, 'bob', 'c1');
    expect(await alice.next('ack:N')).toMatchObject({ cmid: 'c1', status: 'stored' });
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    await bob.next('msg:N');
    await bob.request({ type: 'ack:R', upTo: 1 });
    expect(await alice.next('ack:N')).toMatchObject({ cmid: 'c1', status: 'delivered' });
    // Alice missed nothing, but a retransmission still gets the delivered receipt again.
    const dup = await sendMsg(alice, 'bob', 'c1');
    expect(dup.dup).toBe(true);
    expect(await alice.next('ack:N')).toMatchObject({ cmid: 'c1', status: 'delivered' });
  });

  it('DEDUP-3: a duplicate while bob is online but has not acked gets no receipt', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'c1');
    await sendMsg(alice, 'bob', 'c1');
    await alice.barrier();
    expect(alice.all('ack:N')).toEqual([]);
    expect(bob.all('msg:N')).toHaveLength(1);
  });
});

describe('inbox seqs and pushes', () => {
  it('SEQ-1/SEQ-4: seqs start at 1 and are contiguous per inbox; msg:N carries prevSeq', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const carol = await fx.login(server, 'carol', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 5; i++) {
      await sendMsg(alice, 'bob', `b${i}`);
      await sendMsg(alice, 'carol', `c${i}`);
    }
    const bobSeqs = [];
    for (let i = 1; i <= 5; i++) bobSeqs.push(await bob.next('msg:N'));
    expect(bobSeqs.map((m) => [m.seq, m.prevSeq])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
    expect((await carol.next('msg:N', (m) => m.cmid === 'c5')).seq).toBe(5);
  });

  it('SEQ-1/SEQ-2: concurrent senders pipelining into one inbox get seqs 1..n, each once', async () => {
    const server = await fx.start();
    const senders = await Promise.all([0, 1, 2, 3].map((i) => fx.login(server, `s${i}`, 'd')));
    const n = 25;
    await Promise.all(
      senders.flatMap((s, i) =>
        Array.from({ length: n }, (_, k) =>
          s.request({ type: 'msg:R', cmid: `m${k}`, to: 'bob', body: `${i}/${k}` }),
        ),
      ),
    );
    const bob = await fx.login(server, 'bob', 'd', { lastSeq: 0 });
    const page = await bob.request({ type: 'sync:R', after: 0, limit: 200 });
    if (page.type !== 'sync:A') throw new Error(JSON.stringify(page));
    expect(page.msgs.map((m) => m.seq)).toEqual(Array.from({ length: 4 * n }, (_, i) => i + 1));
    expect(new Set(page.msgs.map((m) => m.smid)).size).toBe(4 * n);
  });

  it('ORDER-1/ORDER-2: messages sent one after another arrive as first pushes in increasing seq order', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 0; i < 20; i++) await sendMsg(alice, 'bob', `m${i}`);
    await bob.next('msg:N', (m) => m.cmid === 'm19');
    const pushes = bob.all('msg:N');
    expect(pushes.map((m) => m.cmid)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(pushes.every((m, i) => m.seq === i + 1 && m.attempt === 1)).toBe(true);
  });

  it('PUSH-1 (multi-device): a committed message is pushed to every connected device of the receiver', async () => {
    const server = await fx.start();
    const phone = await fx.login(server, 'bob', 'phone');
    const laptop = await fx.login(server, 'bob', 'laptop');
    const alice = await fx.login(server, 'alice', 'd');
    const a = await sendMsg(alice, 'bob', 'c1', 'hi');
    for (const device of [phone, laptop]) {
      expect(await device.next('msg:N')).toMatchObject({
        smid: a.smid,
        cmid: 'c1',
        from: 'alice',
        body: 'hi',
        seq: 1,
      });
    }
  });

  it('PUSH-2/REPUSH-2: after a reconnect only the seqs above the acked cursor are pushed', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    for (let i = 1; i <= 5; i++) await sendMsg(alice, 'bob', `m${i}`);
    await bob.next('msg:N', (m) => m.seq === 5);
    await bob.request({ type: 'ack:R', upTo: 3 });
    await bob.close();
    const again = await fx.login(server, 'bob', 'd');
    expect(again.helloA.pending).toBe(2);
    await again.barrier();
    expect(again.all('msg:N').map((m) => m.seq)).toEqual([4, 5]);
  });
});

describe('receipts and offline receivers', () => {
  it('RCPT-1: with no device of the receiver connected, a stored ack:N follows msg:A at once', async () => {
    const server = await fx.start();
    const alice = await fx.login(server, 'alice', 'd');
    const a = await sendMsg(alice, 'bob', 'c1');
    const receipt = await alice.next('ack:N');
    expect(receipt).toMatchObject({ cmid: 'c1', smid: a.smid, to: 'bob', status: 'stored' });
    // "right after": nothing came between msg:A and the receipt.
    const i = alice.received.findIndex((f) => f.type === 'msg:A');
    expect(alice.received[i + 1]).toEqual(receipt);
  });

  it('RCPT-2/RCPT-3: delivered goes to every connected device of the sender, only after the receiver acks', async () => {
    const server = await fx.start();
    const bob = await fx.login(server, 'bob', 'd');
    const alicePhone = await fx.login(server, 'alice', 'phone');
    const aliceLaptop = await fx.login(server, 'alice', 'laptop');
    const a = await sendMsg(alicePhone, 'bob', 'c1');
    await bob.next('msg:N');
    await alicePhone.barrier();
    expect(alicePhone.all('ack:N')).toEqual([]); // RCPT-3: not acked yet, online receiver: no receipt
    await bob.request({ type: 'ack:R', upTo: 1 });
    for (const device of [alicePhone, aliceLaptop]) {
      expect(await device.next('ack:N')).toMatchObject({
        smid: a.smid,
        cmid: 'c1',
        to: 'bob',
        status: 'delivered',
      });
    }
    // Once per message: a second device of bob acking the same seq sends nothing more.
    const bobTablet = await fx.login(server, 'bob', 'tablet', { lastSeq: 0 });
    await bobTablet.request({ type: 'ack:R', upTo: 1 });
    await alicePhone.barrier();
    expect(alicePhone.all('ack:N')).toHaveLength(1);
  });

  it('OFF-1: a message for an offline receiver reaches it on connect, by push within the window', async () => {
    const server = await fx.start();
    const first = await fx.login(server, 'bob', 'd');
    await first.close();
    const alice = await fx.login(server, 'alice', 'd');
    const a = await sendMsg(alice, 'bob', 'c1', 'while you were out');
    const bob = await fx.login(server, 'bob', 'd');
    expect(bob.helloA).toMatchObject({ maxSeq: 1, pending: 1 });
    expect(await bob.next('msg:N')).toMatchObject({ smid: a.smid, body: 'while you were out', seq: 1 });
  });
});
