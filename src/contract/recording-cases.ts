/**
 * The contract cases about what a driver records and what the rest of the kit makes of it:
 * connection numbering across reconnects, every frame both ways, and bots running on the driver
 * leaving a history the checker judges clean. Part of CONTRACT_CASES (cases.ts).
 */

import { Bot } from '../bots/index.js';
import { check } from '../checker/index.js';
import type { FrameEvent } from '../history/events.js';
import { DEFAULT_CLIENT_OPTIONS } from '../scenarios/defaults.js';
import type { ContractCase } from './cases.js';
import { must, show } from './duties.js';

export const RECORDING_CASES: readonly ContractCase[] = [
  {
    id: 'reconnect',
    title: 'numbers a reconnection 2 and records one session and one close per connection',
    duty: 'record-conn',
    async run(ctx) {
      const first = await ctx.login('alice');
      await first.close();
      const second = await ctx.login('alice');
      must(
        second.conn === 2,
        'record-conn',
        `the second connection of ${ctx.actor('alice')} numbered 2`,
        () => show(second.conn),
      );
      await ctx.call('send', 'ping()', second.ping());
      const sessions = ctx.history.events
        .filter((e) => e.kind === 'session')
        .map((e) => (e as { conn: number }).conn);
      must(sessions.length === 2, 'record-session', 'a session event per login (2)', () => show(sessions));
      must(show(sessions) === '[1,2]', 'record-conn', 'session events for conn 1 and conn 2', () =>
        show(sessions),
      );
    },
  },
  {
    id: 'frames',
    title: 'records every frame in both directions with time, raw text and fields',
    duty: 'record-frames',
    async run(ctx) {
      const a = await ctx.login('alice');
      await ctx.call('send', 'ping()', a.ping());
      await a.close();
      const frames = ctx.history.events.filter(
        (e): e is FrameEvent => e.kind === 'frame' && e.actor === ctx.actor('alice'),
      );
      const out = frames.filter((f) => f.dir === 'out').length;
      const inbound = frames.filter((f) => f.dir === 'in').length;
      must(
        out >= 1 && inbound >= 1,
        'record-frames',
        'frames recorded both ways for a login and a ping',
        () => `${out} out, ${inbound} in`,
      );
      for (const f of frames) {
        must(
          f.conn === 1 && f.invalid === undefined,
          'record-frames',
          'valid frames on conn 1 (invalid is for frames the server got wrong)',
          () => `conn ${f.conn}, invalid ${show(f.invalid)} on ${f.raw.slice(0, 80)}`,
        );
      }
    },
  },
  {
    id: 'bots-and-checker',
    title: 'bots on the driver exchange messages both ways and the checker finds nothing wrong',
    duty: 'checker',
    async run(ctx) {
      const client = { ...DEFAULT_CLIENT_OPTIONS, requestTimeoutMs: ctx.waitMs };
      const bot = (who: 'alice' | 'bob') =>
        new Bot({
          actor: ctx.actor(who),
          user: ctx.users[who],
          device: 'd1',
          token: ctx.target.tokens[who],
          driver: ctx.driver,
          history: ctx.history,
          client,
        });
      const a = bot('alice');
      const b = bot('bob');
      try {
        await Promise.all([a.connect(), b.connect()]);
        const sent = [
          ...[1, 2, 3].map(() => ({ from: a, to: b, smid: '', cmid: a.send(ctx.users.bob, ctx.body()) })),
          ...[1, 2].map(() => ({ from: b, to: a, smid: '', cmid: b.send(ctx.users.alice, ctx.body()) })),
        ];
        const final = ctx.claimed('delivered-receipt') ? ['delivered'] : ['accepted', 'stored', 'delivered'];
        const settled = () =>
          sent.every((s) => {
            const entry = s.from.state.outbox.get(s.cmid);
            return (
              entry !== undefined && final.includes(entry.status) && s.to.state.store.has(entry.smid ?? '')
            );
          });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            offA();
            offB();
            const states = sent.map((s) => {
              const entry = s.from.state.outbox.get(s.cmid);
              return `${s.cmid}: ${entry?.status}${s.to.state.store.has(entry?.smid ?? '') ? ', committed' : ', not committed'}`;
            });
            reject(
              new Error(`the exchange did not settle within ${ctx.waitMs * 2} ms (${states.join('; ')})`),
            );
          }, ctx.waitMs * 2);
          const onChange = () => {
            if (!settled()) return;
            clearTimeout(timer);
            offA();
            offB();
            resolve();
          };
          const offA = a.onChange(onChange);
          const offB = b.onChange(onChange);
          onChange();
        }).catch((error: Error) =>
          must(false, 'checker', 'five messages accepted and committed', () => error.message),
        );
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      const result = check(ctx.history.events, {
        expect: {
          exactlyOnce: true,
          allAccepted: true,
          receipt: ctx.claimed('delivered-receipt') ? 'delivered' : 'none',
        },
        users: { [ctx.users.alice]: ['d1'], [ctx.users.bob]: ['d1'] },
        caps: [...ctx.claims],
      });
      must(
        result.findings.length === 0,
        'checker',
        'no findings: the history says every message was accepted and delivered once',
        () =>
          result.findings
            .slice(0, 3)
            .map((f) => `${f.requirement} ${f.kind}: ${f.actual}`)
            .join(' | '),
      );
      must(
        result.stats.sent === 5 && result.stats.delivered === 5,
        'checker',
        'the checker to count 5 sent and 5 delivered from the recorded history',
        () => `sent ${result.stats.sent}, delivered ${result.stats.delivered}`,
      );
    },
  },
];
