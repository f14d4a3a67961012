/**
 * Synthetic histories in the shape drivers and bots record them: alice/phone sends to
 * bob/phone; with `lossEvery: k`, every k-th msg:A is dropped by a fault rule, so alice
 * retransmits (same cmid, new rid) and bob's bot sees a second push it drops (a wire duplicate).
 */

import type { FrameEvent, History } from '../../src/history/events.js';
import type { FrameType } from '../../src/protocol/frames.js';

export interface ReplayOptions {
  messages: number;
  /** Drop every k-th msg:A (0 = never). @default 0 */
  lossEvery?: number;
  /** Time of the first send, ms. @default history.now() */
  t0?: number;
  /** Distinguishes cmids between replays into one listener. @default 'm' */
  prefix?: string;
}

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
  fields: { type, ...fields },
  raw: JSON.stringify({ type, ...fields }),
});

/** Appends one delivery per message (6 frames, or more under loss) plus a sync page and a gap. */
export function replayDeliveries(history: History, options: ReplayOptions): void {
  const { messages, lossEvery = 0, prefix = 'm' } = options;
  let t = options.t0 ?? history.now();
  const a = 'alice/phone';
  const b = 'bob/phone';
  for (let i = 1; i <= messages; i++) {
    const cmid = `${prefix}${i}`;
    const smid = `s-${prefix}${i}`;
    const lost = lossEvery > 0 && i % lossEvery === 0;
    history.append({ kind: 'send', t, actor: a, cmid, to: 'bob', body: `hello ${i}` });
    history.append(
      frame(t + 0.05, a, 'out', 'msg:R', { rid: `r${prefix}${i}`, cmid, to: 'bob', body: `hello ${i}` }),
    );
    history.append(
      frame(t + 0.4, b, 'in', 'msg:N', { smid, cmid, from: 'alice', to: 'bob', body: '', seq: i, ts: 1 }),
    );
    history.append({
      kind: 'commit',
      t: t + 0.5,
      actor: b,
      smid,
      cmid,
      from: 'alice',
      seq: i,
      body: '',
      via: 'push',
    });
    if (lost) {
      history.append({
        kind: 'fault',
        t: t + 0.3,
        rule: 'drop-msg-a',
        action: 'drop',
        actor: a,
        frame: 'msg:A',
      });
      t += 5;
      history.append({ kind: 'retransmit', t, actor: a, cmid, attempt: 2, reason: 'timeout' });
      history.append(
        frame(t + 0.05, a, 'out', 'msg:R', { rid: `r${prefix}${i}b`, cmid, to: 'bob', body: '' }),
      );
      history.append(
        frame(t + 0.3, b, 'in', 'msg:N', { smid, cmid, from: 'alice', to: 'bob', body: '', seq: i, ts: 1 }),
      );
      history.append({ kind: 'dedup', t: t + 0.35, actor: b, smid, seq: i, via: 'push' });
    }
    const rid = lost ? `r${prefix}${i}b` : `r${prefix}${i}`;
    history.append(frame(t + 0.25, a, 'in', 'msg:A', { rid, cmid, smid, ts: 1 }));
    history.append(frame(t + 0.6, b, 'out', 'ack:R', { rid: `k${prefix}${i}`, upTo: i }));
    history.append(frame(t + 0.7, b, 'in', 'ack:A', { rid: `k${prefix}${i}`, upTo: i }));
    history.append(frame(t + 0.9, a, 'in', 'ack:N', { cmid, smid, to: 'bob', status: 'delivered', ts: 1 }));
    t += 1;
  }
  history.append(frame(t, b, 'out', 'sync:R', { rid: `y${prefix}`, after: 0, limit: 100 }));
  history.append(
    frame(t + 2, b, 'in', 'sync:A', { rid: `y${prefix}`, msgs: [], more: false, maxSeq: messages }),
  );
  history.append({ kind: 'gap', t: t + 3, actor: b, have: 1, saw: 3 });
  history.append({ ...frame(t + 4, b, 'in', 'msg:N', { smid: 42 }), invalid: '/smid must be string' });
}
