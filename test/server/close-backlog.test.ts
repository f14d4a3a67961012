/**
 * A session that closes while frames wait in its backlog (FRAME-8's per-turn budget paused its
 * socket) must still complete the closing handshake: the client's close event comes with the
 * server's code. The burst of pings puts the closing frame past the first turn's budget, so it is
 * handled from the backlog, with the socket paused, whatever the machine's speed.
 *
 * ws ends the TCP connection only once it has read the client's close reply; a socket left paused
 * never reads it, and the close hung until ws's own 30 s close timer (a probe saw error:A
 * auth-failed and then nothing, AUTH-2). The test timeout sits below that timer.
 */

import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/frames.js';
import { useFixture } from './fixture.js';

const fx = useFixture();

/** Well past the frames one connection gets per turn of the server's event loop. */
const BURST = 100;

describe('a close decided while frames wait in the backlog', () => {
  it('AUTH-2: a wrong hello behind a pipelined burst still ends with the server-sent close 4401', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    for (let i = 0; i < BURST; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    c.send({ type: 'hello:R', rid: 'h', user: 'bob', device: 'd', token: 'wrong' });
    expect(await c.nextAnswer('h')).toMatchObject({ type: 'error:A', code: 'auth-failed' });
    expect((await c.closed).code).toBe(CloseCode.authFailed);
    expect(c.all('ping:A')).toHaveLength(BURST);
  }, 15_000);

  it('FRAME-5: a binary frame behind a pipelined burst still ends with the server-sent close 1003', async () => {
    const server = await fx.start();
    const c = await fx.client(server);
    for (let i = 0; i < BURST; i++) c.send({ type: 'ping:R', rid: `p${i}` });
    c.send('{"type":"ping:R","rid":"b"}', { binary: true });
    expect((await c.closed).code).toBe(CloseCode.unsupportedData);
    expect(c.all('ping:A')).toHaveLength(BURST);
  }, 15_000);
});
