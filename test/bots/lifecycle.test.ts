import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionClosedError } from '../../src/errors.js';
import { startServer } from '../../src/server/index.js';
import { allStatus, Fixture, SECRET, until } from './helpers.js';

describe('Bot sessions: reconnects, new devices, misbehaviour, probes', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(async () => {
    await fx.teardown();
  });

  it('reconnects by itself after a server restart and retransmits what had no receipt (reason reconnect)', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await alice.connect();
    await bob.connect();
    bob.misbehave({ withholdAcks: true });
    const cmid = alice.send('bob', 'across the restart');
    await until(fx, [bob], () => bob.state.committed === 1, 'first commit');
    await fx.restart();
    bob.behave();
    await until(fx, [alice, bob], () => alice.state.connected && bob.state.connected, 'both back');
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'delivered', 'delivered receipt');
    expect(fx.events('close', 'alice/d1')[0]).toMatchObject({ initiator: 'server', code: 1001 });
    expect(fx.events('session', 'alice/d1')).toHaveLength(2);
    expect(fx.events('session', 'bob/d1')[1]).toMatchObject({ lastSeq: 1 });
    expect(fx.events('retransmit', 'alice/d1').map((r) => r.reason)).toContain('reconnect');
    expect(fx.events('commit', 'bob/d1')).toHaveLength(1);
  });

  it('records why its reconnections fail while the server is down, and forgets it once back', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    await alice.connect();
    const port = fx.server.port;
    await fx.server.close();
    await vi.waitFor(() => expect(alice.state.reconnectFailure?.attempts).toBeGreaterThanOrEqual(2), {
      timeout: 5000,
      interval: 20,
    });
    const failure = alice.state.reconnectFailure!;
    expect(failure.error).toContain('ECONNREFUSED');
    // Since the first failed attempt, on the history's clock (after the close it follows).
    const closedAt = fx.events('close', 'alice/d1')[0]!.t;
    expect(failure.since).toBeGreaterThanOrEqual(closedAt);
    expect(failure.since).toBeLessThanOrEqual(fx.history.now());
    fx.server = await startServer({ port, db: fx.dbPath, hmacSecret: SECRET });
    await until(fx, [alice], () => alice.state.connected, 'reconnected', 8000);
    expect(alice.state.reconnectFailure).toBeUndefined();
  });

  it('stays offline after disconnect: no auto-reconnect, sends wait for the next connect', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    await alice.disconnect('clean');
    expect(alice.state).toMatchObject({ connected: false, online: false });
    const cmid = alice.send('bob', 'queued offline');
    expect(alice.state.outbox.get(cmid)).toMatchObject({ status: 'pending', attempts: 0 });
    await alice.connect();
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'delivered', 'delivered');
    expect(fx.events('session', 'alice/d1')).toHaveLength(2);
    // A queued first send is not a retransmission.
    expect(fx.events('retransmit', 'alice/d1')).toHaveLength(0);
  });

  it('logs in a new device with no lastSeq (pending 0) and pages its history backwards on demand (NEWDEV-1, SYNC-2)', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    await alice.connect();
    for (let i = 1; i <= 10; i++) alice.send('bob', `old ${i}`);
    await until(fx, [alice], () => allStatus(alice, 'stored', 10), 'stored');
    const tablet = fx.bot('bob/tablet');
    const info = await tablet.connect({ state: 'none' });
    expect(info).toMatchObject({ maxSeq: 10, pending: 0 });
    expect(fx.events('session', 'bob/tablet')[0]?.lastSeq).toBeUndefined();
    const first = await tablet.page('backward', 4, 1);
    expect(first.pages.map((p) => [p.before, p.seqs])).toEqual([[11, [7, 8, 9, 10]]]);
    const rest = await tablet.page('backward', 4, 0);
    expect(rest.pages.map((p) => [p.before, p.seqs])).toEqual([
      [7, [3, 4, 5, 6]],
      [3, [1, 2]],
    ]);
    expect(rest.more).toBe(false);
    expect(tablet.state.committed).toBe(10);
    expect(tablet.state.committedUpTo).toBe(10);
    const live = alice.send('bob', 'new');
    await until(
      fx,
      [tablet],
      () => [...tablet.state.store.values()].some((m) => m.cmid === live),
      'live push',
    );
  });

  it('withholds acks while misbehaving so the server re-pushes, and acks all on behave (REPUSH-1)', async () => {
    await fx.start({ repushMs: 100 });
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    bob.misbehave({ withholdAcks: true });
    await alice.connect();
    const cmid = alice.send('bob', 'ack me later');
    await until(fx, [bob], () => fx.events('dedup', 'bob/d1').length >= 1, 're-push dropped as duplicate');
    expect(
      fx.history.events.some((e) => e.kind === 'frame' && e.actor === 'bob/d1' && e.type === 'ack:R'),
    ).toBe(false);
    bob.behave();
    await until(fx, [alice], () => alice.state.outbox.get(cmid)?.status === 'delivered', 'delivered');
    expect(fx.events('commit', 'bob/d1')).toHaveLength(1);
  });

  it('forgets its store on loseState and comes back without lastSeq', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    alice.send('bob', 'before the reinstall');
    await until(
      fx,
      [bob],
      () => fx.history.events.some((e) => e.kind === 'frame' && e.actor === 'bob/d1' && e.type === 'ack:A'),
      'ack recorded by the server',
    );
    bob.misbehave({ loseState: true });
    await until(
      fx,
      [bob],
      () => fx.events('session', 'bob/d1').length === 2 && bob.state.connected,
      'relaunch',
    );
    expect(fx.events('session', 'bob/d1')[1]?.lastSeq).toBeUndefined();
    expect(bob.state.committed).toBe(0);
    // The server's cursor for bob/d1 stands at 1 (acked), so the device resumes from there.
    expect(bob.state.committedUpTo).toBe(1);
  });

  it('says a commit repeats one (again) when the device committed it before a reinstall', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1');
    await bob.connect();
    await alice.connect();
    // Unacked, so the server pushes it again after the reinstall.
    bob.misbehave({ withholdAcks: true });
    alice.send('bob', 'before the reinstall');
    await until(fx, [bob], () => bob.state.committed === 1, 'first commit');
    bob.misbehave({ loseState: true });
    await until(fx, [bob], () => fx.events('commit', 'bob/d1').length === 2, 'commit after the reinstall');
    expect(fx.events('commit', 'bob/d1').map((e) => e.again)).toEqual([false, true]);
  });

  it('probes before hello on a fresh socket and after hello on its session (AUTH-1, AUTH-4-style close, AUTH-5)', async () => {
    await fx.start({ helloTimeoutMs: 150 });
    const probe = fx.bot('probe/p');
    const before = await probe.raw(JSON.stringify({ type: 'ack:R', rid: 'x1', upTo: 0 }), 'x1', {
      beforeHello: true,
      timeoutMs: 2000,
    });
    expect(before.frame?.fields).toMatchObject({ type: 'error:A', rid: 'x1', code: 'not-authenticated' });
    const silent = await probe.raw(null, null, { beforeHello: true, timeoutMs: 2000, awaitClose: true });
    expect(silent.frame).toBeUndefined();
    expect(silent.close?.code).toBe(4408);
    await probe.connect();
    const again = await probe.raw(
      JSON.stringify({ type: 'hello:R', rid: 'h2', user: 'probe', device: 'p', token: 'x' }),
      'h2',
      { beforeHello: false, timeoutMs: 2000 },
    );
    expect(again).toMatchObject({
      timedOut: false,
      frame: { type: 'error:A', fields: { code: 'already-authenticated' } },
    });
    expect(probe.state.connected).toBe(true);
  });

  it('batches cumulative acks by ackDelayMs: one ack:R covers a burst of pushes', async () => {
    await fx.start();
    const alice = fx.bot('alice/d1');
    const bob = fx.bot('bob/d1', { ackDelayMs: 200 });
    await bob.connect();
    await alice.connect();
    for (let i = 0; i < 5; i++) alice.send('bob', `m${i}`);
    await until(fx, [alice], () => allStatus(alice, 'delivered', 5), 'delivered');
    const acks = fx.history.events.filter(
      (e) => e.kind === 'frame' && e.actor === 'bob/d1' && e.type === 'ack:R',
    );
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ fields: { upTo: 5 } });
  });

  it('does not retransmit while told noRetransmit, and resumes after behave', async () => {
    // The server's re-push (REPUSH-1, after 150 ms with acks withheld) is the clock: by then
    // three retransmit periods of 40 ms have passed with no receipt.
    await fx.start({ repushMs: 150 });
    const alice = fx.bot('alice/d1', { retransmitMs: 40, backoff: 1 });
    const bob = fx.bot('bob/d1');
    await bob.connect();
    bob.misbehave({ withholdAcks: true });
    alice.misbehave({ noRetransmit: true });
    await alice.connect();
    const cmid = alice.send('bob', 'once only');
    await until(fx, [bob], () => fx.events('dedup', 'bob/d1').length >= 1, 'server re-push');
    expect(fx.events('retransmit', 'alice/d1')).toHaveLength(0);
    alice.behave();
    await until(fx, [alice], () => fx.events('retransmit', 'alice/d1').length >= 1, 'retransmission resumes');
    expect(fx.events('retransmit', 'alice/d1')[0]).toMatchObject({ cmid, attempt: 2, reason: 'timeout' });
  });

  it('refuses to page while offline with a clear error', async () => {
    await fx.start();
    const bob = fx.bot('bob/d1');
    await expect(bob.page('forward', 10, 1)).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});
