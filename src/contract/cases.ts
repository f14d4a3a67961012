/**
 * The driver contract: the cases every driver (ran, mqtt, xmpp, and any user driver) must pass
 * against a real target. Each case exercises one duty (duties.ts); cases for a capability the
 * target does not claim are UNSUPPORTED. After every case the whole history is checked against
 * the recording duties (recording.ts) as well.
 */

import { ConnectionClosedError } from '../errors.js';
import type { Cap } from '../protocol/frames.js';
import { type ContractContext, isMsg, isReceipt } from './context.js';
import { type Duty, must, show } from './duties.js';
import { RECORDING_CASES } from './recording-cases.js';

export interface ContractCase {
  /** Stable id (`--only`). */
  id: string;
  /** The behaviour the case proves. */
  title: string;
  /** The duty a failure of this case is charged to (recording duties may fail any case). */
  duty: Duty;
  /** Capability the case needs; UNSUPPORTED when the target does not claim it. */
  needs?: Cap;
  run(ctx: ContractContext): Promise<void>;
}

export const CONTRACT_CASES: readonly ContractCase[] = [
  {
    id: 'login',
    title: 'logs in and reports the session (count first) with every claimed capability',
    duty: 'login',
    async run(ctx) {
      const s = await ctx.login('alice');
      const info = s.info;
      must(info.user === ctx.users.alice, 'login', `info.user ${ctx.users.alice}`, () => show(info.user));
      must(info.device === 'd1', 'login', 'info.device "d1"', () => show(info.device));
      must(Number.isInteger(info.maxSeq) && info.maxSeq >= 0, 'login', 'info.maxSeq an integer ≥ 0', () =>
        show(info.maxSeq),
      );
      must(Number.isInteger(info.pending) && info.pending >= 0, 'login', 'info.pending an integer ≥ 0', () =>
        show(info.pending),
      );
      for (const cap of ctx.claims) {
        must(info.caps.includes(cap), 'login', `info.caps to include the claimed ${cap}`, () =>
          show(info.caps),
        );
      }
      for (const cap of info.caps) {
        must(
          ctx.driver.caps.includes(cap),
          'login',
          `info.caps within the driver's caps ${show(ctx.driver.caps)}`,
          () => `${cap} in ${show(info.caps)}`,
        );
      }
      const actor = ctx.actor('alice');
      must(s.conn === 1, 'record-conn', `the first connection of ${actor} numbered 1`, () => show(s.conn));
      const session = ctx.history.events.find((e) => e.kind === 'session');
      must(
        session?.kind === 'session' &&
          session.actor === actor &&
          session.conn === 1 &&
          session.maxSeq === info.maxSeq,
        'record-session',
        `a session event for ${actor} conn 1 with maxSeq ${info.maxSeq} by the time connect() resolved`,
        () => show(session),
      );
    },
  },
  {
    id: 'send-push-ack',
    title: 'sends a message that is accepted, pushed to the online receiver, and acked to a cursor',
    duty: 'push',
    async run(ctx) {
      const b = await ctx.login('bob', await ctx.bobMaxSeq());
      const a = await ctx.login('alice');
      const id = ctx.cmid();
      const text = ctx.body();
      const pushed = ctx.notified(b, isMsg(id), 'push', `msg:N cmid ${id}`);
      const accepted = await ctx.call('send', 'send()', a.send({ cmid: id, to: ctx.users.bob, body: text }));
      must(
        accepted.cmid === id && accepted.dup === false && typeof accepted.smid === 'string',
        'send',
        `{ cmid: ${id}, smid: <string>, dup: false }`,
        () => show(accepted),
      );
      const n = await pushed;
      const m = n.msg;
      must(
        m.smid === accepted.smid &&
          m.from === ctx.users.alice &&
          m.to === ctx.users.bob &&
          m.body === text &&
          Number.isInteger(m.seq),
        'push',
        `msg:N with smid ${accepted.smid}, from ${ctx.users.alice}, to ${ctx.users.bob}, the body sent and an integer seq`,
        () => show(m),
      );
      if (ctx.claimed('cumulative-ack')) {
        const cursor = await ctx.call('ack', `ack(${m.seq})`, b.ack(m.seq));
        must(cursor === m.seq, 'ack', `ack(${m.seq}) to resolve with ${m.seq}`, () => show(cursor));
      }
    },
  },
  {
    id: 'dedup',
    title: 'answers a repeated cmid with the same smid and stores it once',
    duty: 'send',
    needs: 'dedup',
    async run(ctx) {
      const base = await ctx.bobMaxSeq();
      const a = await ctx.login('alice');
      const id = ctx.cmid();
      const text = ctx.body();
      const first = await ctx.call('send', 'send()', a.send({ cmid: id, to: ctx.users.bob, body: text }));
      const again = await ctx.call(
        'send',
        'send() again',
        a.send({ cmid: id, to: ctx.users.bob, body: text }),
      );
      must(
        again.smid === first.smid && again.dup === true && first.dup === false,
        'send',
        `the retransmission answered dup: true with smid ${first.smid}`,
        () => `first ${show(first)}, again ${show(again)}`,
      );
      const b = await ctx.login('bob', base);
      must(
        b.info.maxSeq === base + 1 && b.info.pending === 1,
        'send',
        `bob's inbox one message longer (maxSeq ${base + 1}, pending 1)`,
        () => `maxSeq ${b.info.maxSeq}, pending ${b.info.pending}`,
      );
    },
  },
  {
    id: 'paged-sync',
    title: 'pages forward through an offline backlog without skipping or repeating',
    duty: 'sync',
    needs: 'paged-sync',
    async run(ctx) {
      const base = await ctx.bobMaxSeq();
      const a = await ctx.login('alice');
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        const text = ctx.body();
        sent.push(text);
        await ctx.call('send', 'send()', a.send({ cmid: ctx.cmid(), to: ctx.users.bob, body: text }));
      }
      const b = await ctx.login('bob', base);
      must(b.info.pending === 5, 'login', 'pending 5 after five offline messages', () =>
        show(b.info.pending),
      );
      const seqs: number[] = [];
      const bodies: string[] = [];
      let after = base;
      for (let pages = 0; ; pages++) {
        must(
          pages < 5,
          'sync',
          'the backlog of 5 read in at most 3 pages of 2',
          () => `${pages} pages so far`,
        );
        const ackUpTo = after > base ? after : undefined;
        const page = await ctx.call('sync', `sync(after ${after})`, b.sync({ after, limit: 2, ackUpTo }));
        must(
          page.msgs.length <= 2,
          'sync',
          'at most `limit` (2) messages per page',
          () => `${page.msgs.length}`,
        );
        for (const m of page.msgs) {
          seqs.push(m.seq);
          bodies.push(m.body);
        }
        const last = page.msgs.at(-1);
        if (!page.more || !last) break;
        after = last.seq;
      }
      const want = [1, 2, 3, 4, 5].map((i) => base + i);
      must(show(seqs) === show(want), 'sync', `seqs ${show(want)}`, () => show(seqs));
      must(show(bodies) === show(sent), 'sync', 'the bodies in the order sent', () => show(bodies));
    },
  },
  {
    id: 'standin-receipt',
    title: 'sends the sender a stored receipt for an offline receiver',
    duty: 'receipts',
    needs: 'standin-receipt',
    async run(ctx) {
      const a = await ctx.login('alice');
      const id = ctx.cmid();
      const receipt = ctx.notified(a, isReceipt(id, 'stored'), 'receipts', `ack:N stored for ${id}`);
      const accepted = await ctx.call(
        'send',
        'send()',
        a.send({ cmid: id, to: ctx.users.bob, body: ctx.body() }),
      );
      const r = await receipt;
      must(r.smid === accepted.smid, 'receipts', `the receipt's smid ${accepted.smid}`, () => show(r));
    },
  },
  {
    id: 'delivered-receipt',
    title: 'sends the sender a delivered receipt once the receiver acks',
    duty: 'receipts',
    needs: 'delivered-receipt',
    async run(ctx) {
      const b = await ctx.login('bob', await ctx.bobMaxSeq());
      const a = await ctx.login('alice');
      const id = ctx.cmid();
      const pushed = ctx.notified(b, isMsg(id), 'push', `msg:N cmid ${id}`);
      const delivered = ctx.notified(a, isReceipt(id, 'delivered'), 'receipts', `ack:N delivered for ${id}`);
      await ctx.call('send', 'send()', a.send({ cmid: id, to: ctx.users.bob, body: ctx.body() }));
      const n = await pushed;
      await ctx.call('ack', `ack(${n.msg.seq})`, b.ack(n.msg.seq));
      const r = await delivered;
      must(r.to === ctx.users.bob, 'receipts', `the receipt's to ${ctx.users.bob}`, () => show(r));
    },
  },
  {
    id: 'close',
    title: 'closes cleanly: closed says the client did it and later requests fail with ConnectionClosedError',
    duty: 'close',
    async run(ctx) {
      const a = await ctx.login('alice');
      await ctx.call('close', 'close()', a.close());
      const info = await a.closed;
      must(info.initiator === 'client', 'close', 'closed.initiator "client"', () => show(info));
      const after = await a.ping(1000).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      must(
        after instanceof ConnectionClosedError,
        'close',
        'ping() after close() to reject with ConnectionClosedError (kit.errors)',
        () =>
          after === 'resolved' ? 'it resolved' : `${(after as Error)?.name}: ${(after as Error)?.message}`,
      );
      const close = ctx.history.events.find((e) => e.kind === 'close');
      must(
        close?.kind === 'close' && close.actor === ctx.actor('alice') && close.initiator === 'client',
        'record-close',
        `a close event for ${ctx.actor('alice')} with initiator "client"`,
        () => show(close),
      );
    },
  },
  {
    id: 'abort',
    title: 'aborts like a crash: a request in flight rejects with ConnectionClosedError',
    duty: 'abort',
    async run(ctx) {
      const a = await ctx.login('alice');
      // The send may have been answered before the socket dropped; if not, it must reject cleanly.
      const inflight = a.send({ cmid: ctx.cmid(), to: ctx.users.bob, body: ctx.body() }).then(
        (acc) => acc,
        (error: unknown) => error,
      );
      a.abort();
      const info = await a.closed;
      must(info.initiator === 'crash', 'abort', 'closed.initiator "crash"', () => show(info));
      const outcome = await inflight;
      must(
        outcome instanceof ConnectionClosedError ||
          (typeof outcome === 'object' &&
            outcome !== null &&
            typeof (outcome as { smid?: unknown }).smid === 'string'),
        'abort',
        'the send in flight to resolve with its msg:A or reject with ConnectionClosedError',
        () => (outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : show(outcome)),
      );
    },
  },
  ...RECORDING_CASES,
];
