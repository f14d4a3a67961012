import { describe, expect, it } from 'vitest';
import { FrameLink, frameRules } from '../../src/faults/frame-link.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { Direction, FaultRecord } from '../../src/faults/types.js';
import { ranCodec } from '../../src/protocol/ran-codec.js';

/** One proxy's rules, with links on a port that records what it forwards. */
function proxy(raw: unknown[]) {
  const faults: FaultRecord[] = [];
  const forwarded: string[] = [];
  const { ctx } = frameRules({
    rules: resolveFaultRules(raw),
    codec: ranCodec,
    stats: { undecodable: 0, faults: 0 },
    onFault: (e) => faults.push(e),
  });
  let index = 0;
  const link = () => {
    const l = new FrameLink(
      ++index,
      {
        send: (_direction, frame) => forwarded.push(Buffer.from(frame.data).toString()),
        cut() {},
      },
      ctx,
    );
    return (direction: Direction, frame: Record<string, unknown> | string) =>
      l.onFrame(direction, {
        data: Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        binary: false,
      });
  };
  return { link, faults, forwarded, stats: ctx.stats };
}

const hello = (user: string) => ({ type: 'hello:R', rid: 'h', user, device: 'phone', token: 't' });
const ping = (rid: string) => ({ type: 'ping:R', rid });

describe('frame link occurrence counts', () => {
  it('counts frames before hello on the link and from hello on per actor, across its connections', () => {
    const { link, faults } = proxy([{ match: { op: 'ping', direction: 'to-server' }, action: 'drop' }]);
    const first = link();
    first('to-server', ping('p1')); // the link's 1st ping, before hello
    first('to-server', hello('alice'));
    first('to-server', ping('p2')); // alice's 1st
    const second = link();
    second('to-server', ping('p3')); // the second link's 1st, before hello
    second('to-server', hello('alice'));
    second('to-server', ping('p4')); // alice's 2nd, on her 2nd connection
    expect(faults.map((f) => [f.actor ?? null, f.conn, f.occurrence])).toEqual([
      [null, 0, 1],
      ['alice/phone', 1, 1],
      [null, 0, 1],
      ['alice/phone', 2, 2],
    ]);
  });
});
