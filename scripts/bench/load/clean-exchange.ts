/**
 * The synthetic history of the load bench's third section (ledger-alone.ts): the eight events of
 * a clean six-frame exchange per message over 50 pairs (the checker bench's synthetic history),
 * generated one message at a time so ten million never sit in memory at once.
 */

import type { HistoryEvent } from '../../../src/history/events.js';
import { CAPS, type Limits } from '../../../src/protocol/frames.js';
import { DEFAULT_LIMITS } from '../../../src/server/options.js';

/**
 * What every synthetic hello:A claims: the reference server's defaults. Their repushMs also sets
 * the ledger's quiet window (ledger-alone.ts keepCost).
 */
export const LIMITS: Limits = DEFAULT_LIMITS;

/** The logins of 50 senders and 50 receivers, then `messages` clean exchanges. */
export function* cleanExchange(messages: number): Generator<HistoryEvent> {
  const pairs = 50;
  for (let p = 0; p < pairs * 2; p++) {
    const user = p < pairs ? `s${p}` : `r${p - pairs}`;
    const actor = `${user}/phone`;
    yield {
      kind: 'frame',
      t: 0,
      actor,
      conn: 1,
      dir: 'out',
      type: 'hello:R',
      fields: { rid: 'h', user, device: 'phone', token: 't', lastSeq: 0 },
      raw: '',
    };
    yield {
      kind: 'frame',
      t: 0,
      actor,
      conn: 1,
      dir: 'in',
      type: 'hello:A',
      fields: {
        rid: 'h',
        user,
        device: 'phone',
        maxSeq: 0,
        pending: 0,
        caps: [...CAPS],
        limits: LIMITS,
        serverTime: 0,
      },
      raw: '',
    };
    yield {
      kind: 'session',
      t: 0,
      actor,
      conn: 1,
      maxSeq: 0,
      pending: 0,
      caps: [...CAPS],
      limits: LIMITS,
      lastSeq: 0,
    };
  }
  let t = 0;
  for (let k = 0; k < messages; k++) {
    const p = k % pairs;
    const sender = `s${p}/phone`;
    const receiver = `r${p}/phone`;
    const from = `s${p}`;
    const to = `r${p}`;
    const seq = Math.floor(k / pairs) + 1;
    const cmid = `c${k}`;
    const smid = `m${k}`;
    const body = `body ${k}`;
    const rid = `q${seq}`;
    const ackRid = `a${seq}`;
    t += 0.01;
    yield { kind: 'send', t, actor: sender, cmid, to, body, scheduledT: t };
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'out',
      type: 'msg:R',
      fields: { rid, cmid, to, body },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'msg:A',
      fields: { rid, cmid, smid, ts: 1 },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'msg:N',
      fields: { smid, cmid, from, to, body, seq, prevSeq: seq - 1, ts: 1, attempt: 1 },
      raw: '',
    };
    yield { kind: 'commit', t, actor: receiver, smid, cmid, from, seq, body, via: 'push' };
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'out',
      type: 'ack:R',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    };
    t += 0.01;
    yield {
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'ack:A',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    };
    yield {
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'ack:N',
      fields: { cmid, smid, to, status: 'delivered', ts: 1 },
      raw: '',
    };
  }
}
