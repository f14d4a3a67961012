/**
 * The faults of fields every history carries (receipt and push addressees, attempt counts,
 * advertised limits), which the checker's always-on rules judge in any case: each one observable by a client.
 */

import { describe, expect, it } from 'vitest';
import { SHORT_DEDUP_WINDOW_MS } from '../../src/server/faults.js';
import { ALWAYS_ON_FAULTS } from './always-on-faults.js';
import { sendMsg, useFixture } from './fixture.js';

const fx = useFixture();

describe('server faults of always-on fields', () => {
  it(`${ALWAYS_ON_FAULTS[0]}: one ack's receipts all go to the newest message's sender (RCPT-2 broken)`, async () => {
    const server = await fx.start({ faults: ['receipt-to-newest-sender'] });
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    const carol = await fx.login(server, 'carol', 'd');
    await sendMsg(alice, 'bob', 'a1');
    await sendMsg(carol, 'bob', 'c1');
    await bob.next('msg:N', (m) => m.seq === 2);
    await bob.request({ type: 'ack:R', upTo: 2 });
    const stray = await carol.next('ack:N', (n) => n.cmid === 'a1');
    expect(stray).toMatchObject({ status: 'delivered', to: 'bob' });
    await alice.barrier();
    expect(alice.all('ack:N')).toEqual([]);
  });

  it(`${ALWAYS_ON_FAULTS[1]}: a re-push says attempt 1 (REPUSH-3 broken)`, async () => {
    const server = await fx.start({ faults: ['repush-attempt-1'], repushMs: 40 });
    const bob = await fx.login(server, 'bob', 'd');
    const alice = await fx.login(server, 'alice', 'd');
    await sendMsg(alice, 'bob', 'a1');
    await bob.next('msg:N');
    await bob.next('msg:N');
    expect(bob.all('msg:N').map((m) => m.attempt)).toEqual([1, 1]);
  });

  it(`${ALWAYS_ON_FAULTS[2]}: hello:A advertises the short window the server keeps (DEDUP-5 broken)`, async () => {
    const server = await fx.start({ faults: ['short-dedup-window'] });
    const alice = await fx.login(server, 'alice', 'd');
    expect(alice.helloA.limits.dedupWindowMs).toBe(SHORT_DEDUP_WINDOW_MS);
    expect(server.options.limits.dedupWindowMs).toBe(SHORT_DEDUP_WINDOW_MS);
  });

  it(`${ALWAYS_ON_FAULTS[3]}: bob's push reaches carol's device of the same name, not dave's (PUSH-3 broken)`, async () => {
    const server = await fx.start({ faults: ['push-by-device-name'] });
    const bob = await fx.login(server, 'bob', 'phone');
    const carol = await fx.login(server, 'carol', 'phone');
    const dave = await fx.login(server, 'dave', 'tablet');
    const alice = await fx.login(server, 'alice', 'laptop');
    await sendMsg(alice, 'bob', 'a1');
    const own = await bob.next('msg:N');
    const stray = await carol.next('msg:N');
    expect(stray).toEqual(own);
    expect(stray).toMatchObject({ from: 'alice', to: 'bob', cmid: 'a1', attempt: 1 });
    // A device named like none of bob's gets nothing, and nor does the sender's.
    await dave.barrier();
    await alice.barrier();
    expect(dave.all('msg:N')).toEqual([]);
    expect(alice.all('msg:N')).toEqual([]);
  });
});
