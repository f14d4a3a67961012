/**
 * The synthetic clean history both checker benches read: the case checker's (checker.ts, an
 * array of 100k–5M messages) and the streaming ledger's (load/ledger-alone.ts, up to 10M
 * messages, generated one message at a time so they never sit in memory at once). Each message
 * is the eight events of a clean six-frame exchange (send, msg:R, msg:A, msg:N, commit, ack:R,
 * ack:A, ack:N) over 50 interleaved sender/receiver pairs, after every device's login. Every
 * frame is what the ran driver records: `fields` is the frame object and, where asked, `raw` its
 * JSON text.
 */

import type { CheckContext } from '../../src/checker/types.js';
import type { FrameEvent, HistoryEvent } from '../../src/history/events.js';
import { CAPS, type FrameType, type Limits } from '../../src/protocol/frames.js';
import { DEFAULT_LIMITS } from '../../src/server/options.js';

const PAIRS = 50;

/**
 * What every synthetic hello:A claims: the reference server's defaults. Their repushMs also sets
 * the ledger's quiet window (load/ledger-alone.ts keepCost).
 */
export const LIMITS: Limits = DEFAULT_LIMITS;

export interface CleanHistoryOptions {
  /**
   * Keep each frame's wire text in `raw`, as a case run does (the history's real weight, which
   * the garbage collector walks too); without it `raw` is empty, as a load run's ledger sees it
   * once the text has been dropped.
   */
  raw: boolean;
  /** Give each send its scheduled time, as a load bot does (open-model latency). */
  scheduled: boolean;
}

/** The logins of 50 senders and 50 receivers, then `messages` clean exchanges. */
export function* cleanExchange(messages: number, options: CleanHistoryOptions): Generator<HistoryEvent> {
  const frame = (
    t: number,
    actor: string,
    dir: 'in' | 'out',
    type: FrameType,
    fields: Record<string, unknown>,
  ): FrameEvent => ({
    kind: 'frame',
    t,
    actor,
    conn: 1,
    dir,
    type,
    fields,
    raw: options.raw ? JSON.stringify(fields) : '',
  });
  let t = 0;
  const senders: string[] = [];
  const receivers: string[] = [];
  for (let p = 0; p < PAIRS; p++) {
    senders.push(`s${p}/phone`);
    receivers.push(`r${p}/phone`);
  }
  for (const actor of [...senders, ...receivers]) {
    const [user, device] = actor.split('/') as [string, string];
    const rid = 'h';
    yield frame(t, actor, 'out', 'hello:R', { type: 'hello:R', rid, user, device, token: 't', lastSeq: 0 });
    yield frame(t, actor, 'in', 'hello:A', {
      type: 'hello:A',
      rid,
      user,
      device,
      maxSeq: 0,
      pending: 0,
      caps: [...CAPS],
      limits: LIMITS,
      serverTime: 0,
    });
    yield {
      kind: 'session',
      t,
      actor,
      conn: 1,
      maxSeq: 0,
      pending: 0,
      caps: [...CAPS],
      limits: LIMITS,
      lastSeq: 0,
    };
  }
  for (let k = 0; k < messages; k++) {
    const p = k % PAIRS;
    const sender = senders[p]!;
    const receiver = receivers[p]!;
    const from = `s${p}`;
    const to = `r${p}`;
    const seq = Math.floor(k / PAIRS) + 1;
    const cmid = `c${k}`;
    const smid = `m${k}`;
    const body = `body ${k}`;
    const rid = `q${seq}`;
    const ackRid = `a${seq}`;
    const ts = 1_700_000_000_000 + Math.round(t);
    t += 0.01;
    yield options.scheduled
      ? { kind: 'send', t, actor: sender, cmid, to, body, scheduledT: t }
      : { kind: 'send', t, actor: sender, cmid, to, body };
    yield frame(t, sender, 'out', 'msg:R', { type: 'msg:R', rid, cmid, to, body });
    t += 0.01;
    yield frame(t, sender, 'in', 'msg:A', { type: 'msg:A', rid, cmid, smid, ts });
    t += 0.01;
    yield frame(t, receiver, 'in', 'msg:N', {
      type: 'msg:N',
      smid,
      cmid,
      from,
      to,
      body,
      seq,
      prevSeq: seq - 1,
      ts,
      attempt: 1,
    });
    yield { kind: 'commit', t, actor: receiver, smid, cmid, from, seq, body, via: 'push' };
    yield frame(t, receiver, 'out', 'ack:R', { type: 'ack:R', rid: ackRid, upTo: seq });
    t += 0.01;
    yield frame(t, receiver, 'in', 'ack:A', { type: 'ack:A', rid: ackRid, upTo: seq });
    yield frame(t, sender, 'in', 'ack:N', { type: 'ack:N', cmid, smid, to, status: 'delivered', ts });
  }
}

/** What a case over the clean history expects: every message accepted, delivered once, receipted. */
export function cleanContext(): CheckContext {
  const users: Record<string, string[]> = {};
  for (let p = 0; p < PAIRS; p++) {
    users[`s${p}`] = ['phone'];
    users[`r${p}`] = ['phone'];
  }
  return {
    expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
    users,
    caps: [...CAPS],
  };
}
