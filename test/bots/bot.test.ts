import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allStatus, Fixture, until } from './helpers.js';

describe('Bot against the reference server', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(async () => {
    await fx.teardown();
  });

  it('delivers every message exactly once to an online receiver and ends with delivered receipts', async () => {
    await fx.start();
    // Nothing is lost here, so no retransmission is due: a timer far past the exchange keeps a
    // loaded machine's slow receipts from counting as one (FAST's 150 ms did, at load 14).
    const alice = fx.bot('alice/d1', { retransmitMs: 10_000, maxRetransmitMs: 10_000 });
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    const cmids = Array.from({ length: 20 }, (_, i) => alice.send('bob', `hello ${i}`));
    await until(
      fx,
      [alice, bob],
      () => allStatus(alice, 'delivered', 20) && bob.state.committed === 20,
      'delivery',
    );
    const commits = fx.events('commit', 'bob/d1');
    expect(commits.map((c) => c.cmid)).toEqual(cmids);
    expect(bob.state.committedUpTo).toBe(20);
    expect(fx.events('receipt', 'alice/d1').filter((r) => r.status === 'delivered')).toHaveLength(20);
    expect(fx.events('retransmit')).toHaveLength(0);
  });

  it('stops at a refusal: an error:A to msg:R ends the message as rejected, with no retransmission (FRAME-6)', async () => {
    await fx.start({ maxBodyBytes: 8 });
    const alice = fx.bot('alice/d1', { retransmitMs: 100 });
    await alice.connect();
    const ok = alice.send('bob', 'short');
    const refused = alice.send('bob', 'far longer than eight bytes');
    await until(fx, [alice], () => alice.state.outbox.get(refused)?.status === 'rejected', 'refusal');
    await until(fx, [alice], () => alice.state.outbox.get(ok)?.status === 'stored', 'stored receipt');
    // Three retransmit intervals: a refusal taken for a lost answer would have been resent.
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.state.outbox.get(refused)?.status).toBe('rejected');
    expect(alice.state.counts.rejected).toBe(1);
    expect(fx.events('retransmit', 'alice/d1').filter((e) => e.cmid === refused)).toHaveLength(0);
  });

  it('stops retransmitting on a stored receipt, then delivers when the receiver comes online (RCPT-1, OFF-1)', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await alice.connect();
    const cmid = alice.send('bob', 'while you were away');
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'stored', 'stored receipt');
    // Retransmissions before the receipt are the timer doing its job on a slow machine; after it,
    // over three retransmit intervals (FAST: 150 ms), there must be none.
    const beforeReceipt = fx.events('retransmit', 'alice/d1').length;
    await new Promise((r) => setTimeout(r, 450));
    expect(fx.events('retransmit', 'alice/d1')).toHaveLength(beforeReceipt);
    await bob.connect();
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'delivered', 'delivered receipt');
    expect(fx.events('commit', 'bob/d1').map((c) => c.cmid)).toEqual([cmid]);
    expect(fx.events('retransmit', 'alice/d1')).toHaveLength(beforeReceipt);
  });

  /** 25 messages stored for bob/d1 while it is away, above a push window of 5: its login pages them. */
  async function storedBacklog(pageSize: number) {
    await fx.start({ pushWindow: 5 });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1', { pageSize });
    await bob.connect();
    await bob.disconnect('clean');
    await alice.connect();
    for (let i = 0; i < 25; i++) alice.send('bob', `m${i}`);
    await until(fx, [alice], () => allStatus(alice, 'stored', 25), 'stored receipts');
    return { alice, bob };
  }

  /** The frames of one type bob/d1 sent, in order. */
  function bobFrames(type: string) {
    return fx.history.events.filter((e) => e.kind === 'frame' && e.actor === 'bob/d1' && e.type === type) as {
      fields: { after?: number; ackUpTo?: number; upTo?: number };
    }[];
  }

  it('catches up count-first: pages a backlog above the push window with ackUpTo riding on the next sync:R', async () => {
    const { alice, bob } = await storedBacklog(10);
    const info = await bob.connect();
    expect(info.pending).toBe(25);
    await until(fx, [bob], () => bob.state.committed === 25 && !bob.state.syncing, 'catch-up');
    const syncs = bobFrames('sync:R');
    expect(syncs.map((s) => s.fields.after)).toEqual([0, 10, 20]);
    expect(syncs.map((s) => s.fields.ackUpTo)).toEqual([undefined, 10, 20]);
    await until(
      fx,
      [alice],
      () => allStatus(alice, 'delivered', 25),
      'delivered receipts after the closing ack:R',
    );
    const acks = bobFrames('ack:R');
    expect(acks.at(-1)).toMatchObject({ fields: { upTo: 25 } });
    expect(fx.events('commit', 'bob/d1').every((c) => c.via === 'sync')).toBe(true);
  });

  it('crashes upon the n-th catch-up page before committing it, and stays down (crashInSync)', async () => {
    const { bob } = await storedBacklog(5);
    bob.misbehave({ crashInSync: 3 });
    await bob.connect();
    await until(fx, [bob], () => fx.events('close', 'bob/d1').length === 2, 'the crash');
    expect(fx.events('close', 'bob/d1')[1]).toMatchObject({ initiator: 'crash' });
    expect(fx.events('misbehave', 'bob/d1').map((m) => m.what)).toEqual(['misbehave', 'crash-in-sync']);
    // Pages 1 and 2 committed, page 3 dropped with the app: only the ackUpTo on the requests
    // for pages 2 and 3 told the server what was committed (no closing ack:R).
    expect(bob.state.committed).toBe(10);
    expect(bobFrames('sync:R').map((s) => s.fields.ackUpTo)).toEqual([undefined, 5, 10]);
    expect(bobFrames('ack:R')).toHaveLength(0);
    // No relaunch: the app stays down until the next connect (a crash-before-commit relaunches).
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.state.connected).toBe(false);
    expect(fx.events('session', 'bob/d1')).toHaveLength(2);
    // The flag disarmed itself: the next catch-up reads the rest.
    bob.behave();
    const info = await bob.connect();
    expect(info.pending).toBe(15);
    await until(fx, [bob], () => bob.state.committed === 25 && !bob.state.syncing, 'catch-up');
  });

  it('does not lose a message whose msg:A was lost: the receipt completes it (RID-1 fault)', async () => {
    await fx.start({ faults: ['drop-answer'] });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    for (let i = 0; i < 10; i++) alice.send('bob', `m${i}`);
    await until(
      fx,
      [alice, bob],
      () => allStatus(alice, 'delivered', 10) && bob.state.committed === 10,
      'delivery',
    );
    expect(fx.events('commit', 'bob/d1')).toHaveLength(10);
    for (const entry of alice.state.outbox.values()) expect(entry.smid).toBeDefined();
  });

  it('retransmits with the same cmid until a receipt comes; the server answers dup with the same smid', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    bob.misbehave({ withholdAcks: true });
    await alice.connect();
    const cmid = alice.send('bob', 'are you there?');
    await until(fx, [alice], () => fx.events('retransmit', 'alice/d1').length >= 2, 'two retransmissions');
    bob.behave();
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'delivered', 'delivered receipt');
    expect(fx.events('retransmit', 'alice/d1').slice(0, 2)).toMatchObject([
      { cmid, attempt: 2, reason: 'timeout' },
      { cmid, attempt: 3, reason: 'timeout' },
    ]);
    const answers = fx.history.events.filter(
      (e) => e.kind === 'frame' && e.actor === 'alice/d1' && e.type === 'msg:A',
    ) as unknown as { fields: { smid: string; dup?: boolean } }[];
    expect(new Set(answers.map((a) => a.fields.smid)).size).toBe(1);
    expect(answers.slice(1).every((a) => a.fields.dup === true)).toBe(true);
    expect(fx.events('commit', 'bob/d1')).toHaveLength(1);
  });

  it('reorders out-of-order pushes into a contiguous watermark', async () => {
    await fx.start({ faults: ['reorder-push'] });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    for (let i = 0; i < 4; i++) alice.send('bob', `m${i}`);
    await until(fx, [bob], () => bob.state.committedUpTo === 4, 'watermark 4');
    expect(fx.events('gap', 'bob/d1')[0]).toMatchObject({ have: 0, saw: 2 });
    expect(fx.events('commit', 'bob/d1').map((c) => c.seq)).toEqual([2, 1, 4, 3]);
  });

  it('crashes before commit, relaunches with its store, and fetches the never re-pushed message through the gap', async () => {
    // no-repush: after the crash nothing brings seq 1 back except the bot's own gap fetch.
    await fx.start({ faults: ['no-repush'] });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    bob.misbehave({ crashBeforeCommit: 1 });
    await alice.connect();
    const first = alice.send('bob', 'lost in the crash');
    await until(
      fx,
      [bob],
      () => fx.events('session', 'bob/d1').length === 2 && bob.state.connected,
      'relaunch',
    );
    expect(fx.events('close', 'bob/d1')[0]).toMatchObject({ initiator: 'crash' });
    expect(fx.events('misbehave', 'bob/d1').map((m) => m.what)).toEqual(['misbehave', 'crash-before-commit']);
    expect(bob.state.committed).toBe(0);
    const second = alice.send('bob', 'reveals the gap');
    await until(fx, [bob], () => bob.state.committedUpTo === 2, 'gap filled');
    expect(fx.events('gap', 'bob/d1')).toMatchObject([{ have: 0, saw: 2 }]);
    const commits = fx.events('commit', 'bob/d1');
    expect(commits.map((c) => [c.cmid, c.via])).toEqual([
      [second, 'push'],
      [first, 'sync'],
    ]);
  });

  it('commits a doubly pushed message once (app-level dedup of wire duplicates)', async () => {
    await fx.start({ faults: ['duplicate-push'] });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    for (let i = 0; i < 5; i++) alice.send('bob', `m${i}`);
    await until(fx, [bob], () => fx.events('dedup', 'bob/d1').length === 5, 'five duplicates dropped');
    expect(fx.events('commit', 'bob/d1')).toHaveLength(5);
  });

  it('gives up after maxAttempts when no delivered receipt comes (storedStopsRetransmit: false)', async () => {
    await fx.start({ faults: ['no-standin-receipt'] });
    // The dup answer re-sends the stored receipt (DEDUP-3); here only delivered stops the retries.
    const alice = fx.bot('alice/d1', {
      retransmitMs: 30,
      maxAttempts: 3,
      backoff: 1,
      storedStopsRetransmit: false,
    });
    await alice.connect();
    const cmid = alice.send('bob', 'into the void');
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'gave-up', 'give-up');
    expect(fx.events('give-up', 'alice/d1')).toMatchObject([{ cmid, attempts: 3 }]);
    expect(fx.events('retransmit', 'alice/d1').map((r) => r.attempt)).toEqual([2, 3]);
  });
});
