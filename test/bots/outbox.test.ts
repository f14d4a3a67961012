import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveClientOptions } from '../../src/bots/options.js';
import { Outbox } from '../../src/bots/outbox.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('outbox retransmit timers', () => {
  it('a disconnect stops every timer armed before it, even one due in the same expiry run', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const gaveUp: string[] = [];
    const outbox: Outbox = new Outbox(
      resolveClientOptions({ retransmitMs: 100, maxAttempts: 1 }),
      {
        transmit: () => true,
        giveUp(entry) {
          gaveUp.push(entry.cmid);
          // The session ends right here (as if giving up had closed it).
          outbox.disconnected();
        },
        retransmitSuppressed: () => false,
      },
      'ab12',
    );
    outbox.add(outbox.nextCmid(), 'bob', 'one', true);
    outbox.add(outbox.nextCmid(), 'bob', 'two', true);
    vi.advanceTimersByTime(150);
    // 'two' was due in the same run as 'one', but its timer belonged to the session that ended:
    // it waits for the next connect, it does not give up offline.
    expect(gaveUp).toEqual(['ab12.1']);
    vi.advanceTimersByTime(1000);
    expect(gaveUp).toEqual(['ab12.1']);
    expect(outbox.entries.get('ab12.2')?.status).toBe('pending');
  });
});
