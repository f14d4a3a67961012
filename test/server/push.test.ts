/**
 * DeviceFeed on its own: first pushes, PUSH-2, live state, timed re-push bookkeeping, and the
 * push faults — no sockets, frames collected from the emit callback.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { MsgN, StoredMessage } from '../../src/protocol/frames.js';
import { DeviceFeed, type FeedOptions } from '../../src/server/push.js';

const msg = (seq: number): StoredMessage => ({
  smid: `s${seq}`,
  cmid: `c${seq}`,
  from: 'alice',
  to: 'bob',
  body: `b${seq}`,
  seq,
  prevSeq: seq - 1,
  ts: 1,
});

const feeds: DeviceFeed[] = [];
afterEach(() => {
  for (const f of feeds.splice(0)) f.stop();
});

function feed(options: Partial<FeedOptions> = {}, acked = 0) {
  const frames: MsgN[] = [];
  let waiter: ((f: MsgN) => void) | undefined;
  const f = new DeviceFeed(
    (frame) => {
      frames.push(frame);
      waiter?.(frame);
    },
    { repushMs: 1_000_000, repush: true, duplicate: false, reorder: false, ...options },
    acked,
  );
  feeds.push(f);
  const nextFrame = () => new Promise<MsgN>((resolve) => (waiter = resolve));
  return { f, frames, nextFrame };
}

describe('DeviceFeed', () => {
  it('SYNC-6/PUSH-1: offers reach only a live device; goLive skips what the device will page', () => {
    const { f, frames } = feed();
    f.offer(msg(1));
    expect(frames).toEqual([]);
    f.goLive(1);
    f.offer(msg(1));
    f.offer(msg(2));
    expect(frames.map((m) => [m.seq, m.attempt])).toEqual([[2, 1]]);
  });

  it('ORDER-2/PUSH-2: first pushes only ascend, and nothing at or below the acked seq is pushed', () => {
    const { f, frames } = feed({}, 2);
    f.goLive(0);
    for (const seq of [1, 2, 3, 5, 4, 5, 6]) f.offer(msg(seq));
    expect(frames.map((m) => m.seq)).toEqual([3, 5, 6]);
  });

  it('acks clear in-flight pushes up to the acked seq, in order or after partial re-pushes', () => {
    const { f } = feed();
    f.goLive(0);
    for (let seq = 1; seq <= 5; seq++) f.offer(msg(seq));
    expect(f.unacked).toBe(5);
    f.ack(2);
    expect(f.unacked).toBe(3);
    f.ack(1); // ACK-4 on the feed: never backwards
    expect(f.unacked).toBe(3);
    f.ack(5);
    expect(f.unacked).toBe(0);
  });

  it('REPUSH-1/3: an unacked push is re-sent with the same smid and seq and attempt + 1', async () => {
    const { f, nextFrame } = feed({ repushMs: 20 });
    f.goLive(0);
    const first = nextFrame();
    f.offer(msg(1));
    expect((await first).attempt).toBe(1);
    const again = await nextFrame();
    expect(again).toMatchObject({ smid: 's1', seq: 1, attempt: 2 });
    f.ack(1);
    expect(f.unacked).toBe(0);
  });

  it('no-repush tracks nothing; duplicate-push emits twice; reorder-push swaps pairs', async () => {
    const none = feed({ repush: false });
    none.f.goLive(0);
    none.f.offer(msg(1));
    expect(none.f.unacked).toBe(0);

    const dup = feed({ duplicate: true });
    dup.f.goLive(0);
    dup.f.offer(msg(1));
    expect(dup.frames.map((m) => m.seq)).toEqual([1, 1]);

    const swap = feed({ reorder: true });
    swap.f.goLive(0);
    for (let seq = 1; seq <= 4; seq++) swap.f.offer(msg(seq));
    expect(swap.frames.map((m) => m.seq)).toEqual([2, 1, 4, 3]);
    const lone = swap.nextFrame();
    swap.f.offer(msg(5));
    expect((await lone).seq).toBe(5); // a lone held push still goes out
  });
});
