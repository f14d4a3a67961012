/**
 * The load bots' retransmit clock is honest: a timer that expires while its answer already sits
 * unread in a socket (the event loop was busy) does not retransmit. Node runs expired timers
 * before it reads sockets, so a clock that decided inside the timer callback would.
 */

import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Armed, RetransmitClock } from '../../src/load/bot/shared.js';

describe('retransmit clock', () => {
  it('lets an answer that arrived during a busy spell disarm a timer that expired in it', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = await accepted;
    const clock = new RetransmitClock();
    const due: string[] = [];
    const answered: Armed = { stamp: 0, due: () => due.push('answered') };
    const silent: Armed = { stamp: 0, due: () => due.push('silent') };
    // The answer to `answered` is read by the poll phase: it disarms.
    client.on('data', () => clock.disarm(answered));
    clock.arm(answered, 5);
    clock.arm(silent, 5);
    peer.write('msg:A');
    // A busy event loop: both timers expire and the answer lands in the socket meanwhile.
    const until = performance.now() + 40;
    while (performance.now() < until) {
      /* busy */
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(due).toEqual(['silent']);
    client.destroy();
    peer.destroy();
    server.close();
  });

  it('never fires a timer re-armed or disarmed after it was set', async () => {
    const clock = new RetransmitClock();
    const fired: number[] = [];
    const a: Armed = { stamp: 0, due: () => fired.push(1) };
    const b: Armed = { stamp: 0, due: () => fired.push(2) };
    clock.arm(a, 5);
    clock.arm(b, 5);
    clock.arm(a, 40); // re-armed: only the later expiry counts
    clock.disarm(b);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toEqual([1]);
  });
});
