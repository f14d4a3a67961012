import { describe, expect, it } from 'vitest';
import { Inbox } from '../../src/bots/inbox.js';
import type { StoredMessage } from '../../src/protocol/frames.js';

const msg = (seq: number, prevSeq?: number): StoredMessage => ({
  smid: `s${seq}`,
  cmid: `c${seq}`,
  from: 'alice',
  to: 'bob',
  body: `b${seq}`,
  seq,
  ts: 1,
  ...(prevSeq === undefined ? {} : { prevSeq }),
});

describe('Inbox (commit-then-ack store)', () => {
  it('advances the watermark over contiguous seqs', () => {
    const inbox = new Inbox();
    for (const s of [1, 2, 3]) expect(inbox.commit(msg(s))).toBeUndefined();
    expect(inbox.watermark).toBe(3);
    expect(inbox.lastSeq()).toBe(3);
  });

  it('treats a repeat by smid or by seq at or below the watermark as a duplicate', () => {
    const inbox = new Inbox();
    inbox.commit(msg(1));
    expect(inbox.isDuplicate(msg(1), 'push')).toBe(true);
    expect(inbox.isDuplicate({ ...msg(1), smid: 'other' }, 'sync')).toBe(true);
    expect(inbox.isDuplicate(msg(2), 'push')).toBe(false);
  });

  it('reports a gap once per missing range and fills the watermark when the range arrives', () => {
    const inbox = new Inbox();
    inbox.commit(msg(1));
    expect(inbox.commit(msg(4))).toEqual({ have: 1, saw: 4 });
    expect(inbox.commit(msg(5))).toBeUndefined();
    expect(inbox.watermark).toBe(1);
    inbox.commit(msg(2));
    inbox.commit(msg(3));
    expect(inbox.watermark).toBe(5);
  });

  it('detects a broken prevSeq chain when seqs are not contiguous', () => {
    const inbox = new Inbox();
    inbox.contiguous = false;
    expect(inbox.commit(msg(10, 0))).toBeUndefined();
    expect(inbox.watermark).toBe(10);
    expect(inbox.commit(msg(30, 20))).toEqual({ have: 10, saw: 30 });
    expect(inbox.commit(msg(20, 10))).toBeUndefined();
    expect(inbox.watermark).toBe(30);
  });

  it('starts a new device at the server base and still commits backward history below it', () => {
    const inbox = new Inbox();
    inbox.reset();
    expect(inbox.lastSeq()).toBeUndefined();
    inbox.setBase(50);
    expect(inbox.watermark).toBe(50);
    expect(inbox.isDuplicate(msg(40), 'push')).toBe(true);
    expect(inbox.isDuplicate(msg(40), 'backward')).toBe(false);
    inbox.commit(msg(40));
    expect(inbox.watermark).toBe(50);
    expect(inbox.size).toBe(1);
    expect(inbox.isDuplicate(msg(40), 'backward')).toBe(true);
  });
});
