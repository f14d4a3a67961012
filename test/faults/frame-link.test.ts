import { describe, expect, it } from 'vitest';
import { FrameLink } from '../../src/faults/frame-link.js';
import { frameRules } from '../../src/faults/frame-rules.js';
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

const msgR = (cmid: string, body = 'hi', rid = 'r') => ({ type: 'msg:R', rid, cmid, to: 'bob', body });

describe('frame link fast path (types told without decoding)', () => {
  it('acts on every frame a rule selects, told by the fast path or decoded, and counts them together', () => {
    const { link, faults, forwarded, stats } = proxy([
      { id: 'bad', match: { undecodable: true }, action: 'drop' },
      { id: 'third', match: { op: 'msg', kind: 'R' }, nth: 3, action: 'drop' },
      { id: 'acks', match: { op: 'ack', direction: 'to-client' }, action: 'drop' },
    ]);
    const alice = link();
    alice('to-server', hello('alice'));
    alice('to-server', msgR('c1')); // plain ASCII: the fast path tells msg:R
    alice('to-server', msgR('c2', 'caf\u00e9')); // not ASCII: decoded, still msg:R
    alice('to-server', msgR('c3')); // alice's 3rd msg:R: dropped
    alice('to-server', msgR('c4', 'hi', 'r'.repeat(65))); // a rid over 64 characters: undecodable
    alice('to-client', { type: 'ack:A', rid: 'r', upTo: 3 });
    alice('to-client', '{"type":"ack:A","rid":"r","upTo":3,"upTo":4}'); // repeated member: decoded, still ack:A
    alice('to-client', { type: 'ping:A', rid: 'p', serverTime: 5 });
    expect(faults.map((f) => [f.rule, f.type, f.occurrence])).toEqual([
      ['third', 'msg:R', 3],
      ['bad', null, 1],
      ['acks', 'ack:A', 1],
      ['acks', 'ack:A', 2],
    ]);
    // The event shows the frame as decoding renders it, though the fast path never decoded it.
    expect(faults[0]?.frame).toBe(JSON.stringify(msgR('c3')));
    expect(forwarded.map((f) => JSON.parse(f).cmid ?? JSON.parse(f).type)).toEqual([
      'hello:R',
      'c1',
      'c2',
      'ping:A',
    ]);
    expect(stats.undecodable).toBe(1);
  });
});
