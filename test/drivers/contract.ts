/**
 * The driver contract: one suite every driver (ran, mqtt, xmpp) must pass against a real target.
 * Cases for a capability the target does not claim are skipped, and their names say which
 * capability they need, so a report shows what was not checked and why.
 *
 * @example
 * defineDriverContract('ran', ['dedup', 'paged-sync', …], async () => {
 *   const server = await startServer({ port: 0, hmacSecret: 's' });
 *   return { driver: createDriver('ran', { target: server.url }), tokens: {…}, teardown: () => server.close() };
 * });
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, DriverSession, Notification } from '../../src/drivers/driver.js';
import { ConnectionClosedError } from '../../src/errors.js';
import { type FrameEvent, History } from '../../src/history/events.js';
import type { Cap } from '../../src/protocol/frames.js';

export interface ContractTarget {
  driver: Driver;
  /** Tokens (passwords) of the two test users. */
  tokens: { alice: string; bob: string };
  /** User names as the target spells them. @default { alice: 'alice', bob: 'bob' } */
  users?: { alice: string; bob: string };
  /** Stops the target and removes its data. */
  teardown(): Promise<void>;
}

const WAIT_MS = 5000;

/** Resolves with the first notification matching `match`, or fails after WAIT_MS. */
function notified<T extends Notification>(
  session: DriverSession,
  match: (n: Notification) => n is T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching notification within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = session.onNotification((n) => {
      if (!match(n)) return;
      clearTimeout(timer);
      off();
      resolve(n);
    });
  });
}

const isMsg =
  (cmid: string) =>
  (n: Notification): n is Extract<Notification, { type: 'msg:N' }> =>
    n.type === 'msg:N' && n.msg.cmid === cmid;
const isReceipt =
  (cmid: string, status: 'stored' | 'delivered') =>
  (n: Notification): n is Extract<Notification, { type: 'ack:N' }> =>
    n.type === 'ack:N' && n.cmid === cmid && n.status === status;

/**
 * Defines the contract suite for one driver. `claims` are the capabilities the target is
 * expected to offer through this driver (known up front so vitest can skip the cases that need
 * a missing one); login checks that the sessions really report them.
 */
export function defineDriverContract(
  name: string,
  claims: readonly Cap[],
  setup: () => Promise<ContractTarget>,
): void {
  const claimed = (cap: Cap) => claims.includes(cap);

  describe(`driver contract: ${name}`, () => {
    let target: ContractTarget;
    let history: History;
    let alice: string;
    let bob: string;
    const open: DriverSession[] = [];
    let unique = 0;

    beforeEach(async () => {
      target = await setup();
      history = new History();
      alice = target.users?.alice ?? 'alice';
      bob = target.users?.bob ?? 'bob';
    });

    afterEach(async () => {
      for (const s of open.splice(0)) {
        s.abort();
        await s.closed;
      }
      await target.teardown();
    });

    async function login(who: 'alice' | 'bob', lastSeq?: number, device = 'd1'): Promise<DriverSession> {
      const user = who === 'alice' ? alice : bob;
      const s = await target.driver.connect(
        `${who}/${device}`,
        { user, device, token: target.tokens[who], lastSeq, timeoutMs: WAIT_MS },
        history,
      );
      open.push(s);
      return s;
    }

    /** bob's current maxSeq, learnt by logging in and out. */
    async function bobMaxSeq(): Promise<number> {
      const s = await login('bob', 0);
      const max = s.info.maxSeq;
      await s.close();
      return max;
    }

    const body = () => `body-${name}-${++unique}-${Date.now()}`;
    const cmid = () => `c-${++unique}-${Math.random().toString(36).slice(2, 8)}`;

    it('logs in and reports the session (count first) with every claimed capability', async () => {
      const s = await login('alice');
      expect(s.info.user).toBe(alice);
      expect(s.info.device).toBe('d1');
      expect(s.info.maxSeq).toBeGreaterThanOrEqual(0);
      expect(s.info.pending).toBeGreaterThanOrEqual(0);
      for (const cap of claims) expect(s.info.caps).toContain(cap);
      for (const cap of s.info.caps) expect(target.driver.caps).toContain(cap);
      expect(s.conn).toBe(1);
      const session = history.events.find((e) => e.kind === 'session');
      expect(session).toMatchObject({ actor: 'alice/d1', conn: 1, maxSeq: s.info.maxSeq });
    });

    it('sends a message that is accepted, pushed to the online receiver, and acked to a cursor', async () => {
      const b = await login('bob', await bobMaxSeq());
      const a = await login('alice');
      const id = cmid();
      const text = body();
      const pushed = notified(b, isMsg(id));
      const accepted = await a.send({ cmid: id, to: bob, body: text });
      expect(accepted).toMatchObject({ cmid: id, dup: false });
      expect(typeof accepted.smid).toBe('string');
      const n = await pushed;
      expect(n.msg).toMatchObject({ cmid: id, smid: accepted.smid, from: alice, to: bob, body: text });
      if (claimed('cumulative-ack')) {
        expect(await b.ack(n.msg.seq)).toBe(n.msg.seq);
      }
    });

    it.skipIf(!claimed('dedup'))(
      'answers a repeated cmid with the same smid and stores it once [needs dedup]',
      async () => {
        const base = await bobMaxSeq();
        const a = await login('alice');
        const id = cmid();
        const text = body();
        const first = await a.send({ cmid: id, to: bob, body: text });
        const again = await a.send({ cmid: id, to: bob, body: text });
        expect(again.smid).toBe(first.smid);
        expect(again.dup).toBe(true);
        expect(first.dup).toBe(false);
        const b = await login('bob', base);
        expect(b.info.maxSeq).toBe(base + 1);
        expect(b.info.pending).toBe(1);
      },
    );

    it.skipIf(!claimed('paged-sync'))(
      'pages forward through an offline backlog without skipping or repeating [needs paged-sync]',
      async () => {
        const base = await bobMaxSeq();
        const a = await login('alice');
        const sent: string[] = [];
        for (let i = 0; i < 5; i++) {
          const text = body();
          sent.push(text);
          await a.send({ cmid: cmid(), to: bob, body: text });
        }
        const b = await login('bob', base);
        expect(b.info.pending).toBe(5);
        const seqs: number[] = [];
        const bodies: string[] = [];
        let after = base;
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThan(5);
          const page = await b.sync({ after, limit: 2, ackUpTo: after > base ? after : undefined });
          expect(page.msgs.length).toBeLessThanOrEqual(2);
          for (const m of page.msgs) {
            seqs.push(m.seq);
            bodies.push(m.body);
          }
          const last = page.msgs.at(-1);
          if (!page.more || !last) break;
          after = last.seq;
        }
        expect(seqs).toEqual([1, 2, 3, 4, 5].map((i) => base + i));
        expect(bodies).toEqual(sent);
      },
    );

    it.skipIf(!claimed('standin-receipt'))(
      'sends the sender a stored receipt for an offline receiver [needs standin-receipt]',
      async () => {
        const a = await login('alice');
        const id = cmid();
        const receipt = notified(a, isReceipt(id, 'stored'));
        const accepted = await a.send({ cmid: id, to: bob, body: body() });
        expect((await receipt).smid).toBe(accepted.smid);
      },
    );

    it.skipIf(!claimed('delivered-receipt'))(
      'sends the sender a delivered receipt once the receiver acks [needs delivered-receipt]',
      async () => {
        const b = await login('bob', await bobMaxSeq());
        const a = await login('alice');
        const id = cmid();
        const pushed = notified(b, isMsg(id));
        const delivered = notified(a, isReceipt(id, 'delivered'));
        await a.send({ cmid: id, to: bob, body: body() });
        const n = await pushed;
        await b.ack(n.msg.seq);
        expect((await delivered).to).toBe(bob);
      },
    );

    it('closes cleanly: closed says the client did it and later requests fail with ConnectionClosedError', async () => {
      const a = await login('alice');
      await a.close();
      const info = await a.closed;
      expect(info.initiator).toBe('client');
      await expect(a.ping(1000)).rejects.toBeInstanceOf(ConnectionClosedError);
      const close = history.events.find((e) => e.kind === 'close');
      expect(close).toMatchObject({ actor: 'alice/d1', initiator: 'client' });
    });

    it('aborts like a crash: a request in flight rejects with ConnectionClosedError', async () => {
      const a = await login('alice');
      const inflight = a.send({ cmid: cmid(), to: bob, body: body() });
      a.abort();
      const info = await a.closed;
      expect(info.initiator).toBe('crash');
      // The send may have been answered before the socket dropped; if not, it must reject cleanly.
      await inflight.then(
        (acc) => expect(typeof acc.smid).toBe('string'),
        (error) => expect(error).toBeInstanceOf(ConnectionClosedError),
      );
    });

    it('records every frame in both directions with time, raw text and fields', async () => {
      const a = await login('alice');
      await a.ping();
      await a.close();
      const frames = history.events.filter(
        (e): e is FrameEvent => e.kind === 'frame' && e.actor === 'alice/d1',
      );
      const out = frames.filter((f) => f.dir === 'out').map((f) => f.type);
      const inbound = frames.filter((f) => f.dir === 'in').map((f) => f.type);
      expect(out.length).toBeGreaterThanOrEqual(1);
      expect(inbound.length).toBeGreaterThanOrEqual(1);
      for (const f of frames) {
        expect(f.raw.length).toBeGreaterThan(0);
        expect(f.conn).toBe(1);
        expect(f.invalid).toBeUndefined();
      }
      const ts = frames.map((f) => f.t);
      expect([...ts].sort((x, y) => x - y)).toEqual(ts);
    });
  });
}
