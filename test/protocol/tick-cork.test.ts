/**
 * TickCork: one cork per tick, released when the tick's synchronous work ends, and a flush that
 * releases at once (before a TCP reset) without a second uncork later.
 */

import { describe, expect, it } from 'vitest';
import { type Corkable, TickCork } from '../../src/protocol/tick-cork.js';

/** Counts corks the way a net.Socket does: writes leave when the count is back to zero. */
function counting(): Corkable & { depth: number; calls: string[] } {
  const s = {
    depth: 0,
    calls: [] as string[],
    cork() {
      s.depth++;
      s.calls.push('cork');
    },
    uncork() {
      s.depth--;
      s.calls.push('uncork');
    },
  };
  return s;
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('TickCork', () => {
  it('corks once for many writes in a tick and uncorks when the tick ends', async () => {
    const socket = counting();
    const cork = new TickCork(socket);
    cork.hold();
    cork.hold();
    cork.hold();
    expect(socket.calls).toEqual(['cork']);
    await nextTick();
    expect(socket.calls).toEqual(['cork', 'uncork']);
    expect(socket.depth).toBe(0);
    cork.hold();
    await nextTick();
    expect(socket.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('flush releases now, and the end of the tick does not uncork a second time', async () => {
    const socket = counting();
    const cork = new TickCork(socket);
    cork.hold();
    cork.flush();
    expect(socket.depth).toBe(0);
    await nextTick();
    expect(socket.calls).toEqual(['cork', 'uncork']);
    cork.flush();
    expect(socket.calls).toHaveLength(2);
  });

  it('a write after a flush in the same tick is corked again and released once', async () => {
    const socket = counting();
    const cork = new TickCork(socket);
    cork.hold();
    cork.flush();
    cork.hold();
    expect(socket.depth).toBe(1);
    await nextTick();
    await nextTick();
    expect(socket.depth).toBe(0);
    expect(socket.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('does nothing without a socket', () => {
    const cork = new TickCork(undefined);
    cork.hold();
    cork.flush();
    expect(cork.corked).toBe(false);
  });
});
