/**
 * The capture converter, pure: capture lines in, the history a run would have recorded out —
 * connections named by their login, sends and retransmissions read off msg:R, messages the
 * device's once they reach it, sessions from hello:A — and bad lines refused with where they are.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCapture } from '../../src/capture/check.js';
import { CaptureConverter } from '../../src/capture/to-history.js';
import type { CaptureFrame } from '../../src/capture/types.js';
import { ConfigError } from '../../src/errors.js';
import type { HistoryEvent } from '../../src/history/events.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-capture-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function convert(lines: (CaptureFrame | { kind: 'close'; t: number; conn: string })[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const c = new CaptureConverter((e) => events.push(e));
  for (const line of lines) {
    if (line.kind === 'close') c.close(line);
    else c.frame(line as CaptureFrame);
  }
  c.finish();
  return events;
}

const out = (t: number, conn: string, type: string, fields: Record<string, unknown>): CaptureFrame => ({
  t,
  conn,
  dir: 'to-server',
  type: type as CaptureFrame['type'],
  fields,
});
const inb = (t: number, conn: string, type: string, fields: Record<string, unknown>): CaptureFrame => ({
  ...out(t, conn, type, fields),
  dir: 'to-client',
});
const hello = (t: number, conn: string, user: string, extra: Record<string, unknown> = {}) =>
  out(t, conn, 'hello:R', { rid: 'h', user, device: 'phone', token: '<redacted>', ...extra });
const helloA = (t: number, conn: string) =>
  inb(t, conn, 'hello:A', { rid: 'h', maxSeq: 0, pending: 0, caps: ['dedup', 'not-a-cap'] });
const msg = (seq: number, smid = `s${seq}`) => ({
  smid,
  cmid: `c${seq}`,
  from: 'alice',
  to: 'bob',
  body: 'x',
  seq,
  ts: 0,
});

describe('the capture converter', () => {
  it('names a connection by its login, holding what came before it, and numbers reconnections', () => {
    const events = convert([
      inb(1000, 'x', 'ping:A', { rid: 'early' }),
      hello(1001, 'x', 'alice'),
      helloA(1002, 'x'),
      { kind: 'close', t: 1003, conn: 'x' },
      hello(1004, 'y', 'alice'),
    ]);
    const frames = events.filter((e) => e.kind === 'frame');
    expect(frames.map((e) => [e.actor, e.conn, e.t])).toEqual([
      ['alice/phone', 1, 0],
      ['alice/phone', 1, 1],
      ['alice/phone', 1, 2],
      ['alice/phone', 2, 4],
    ]);
    const session = events.find((e) => e.kind === 'session');
    expect(session).toMatchObject({ actor: 'alice/phone', conn: 1, caps: ['dedup'] });
    expect(events.find((e) => e.kind === 'close')).toMatchObject({ conn: 1, initiator: 'network' });
  });

  it('reads a first msg:R as a send and later ones as retransmissions, on a new connection by reconnect', () => {
    const send = (t: number, conn: string) =>
      out(t, conn, 'msg:R', { rid: `r${t}`, cmid: 'c1', to: 'bob', body: 'hi' });
    const events = convert([
      hello(0, 'a', 'alice'),
      send(1, 'a'),
      send(2, 'a'),
      hello(3, 'b', 'alice'),
      send(4, 'b'),
    ]);
    expect(events.filter((e) => e.kind === 'send')).toEqual([
      { kind: 'send', t: 1, actor: 'alice/phone', cmid: 'c1', to: 'bob', body: 'hi' },
    ]);
    expect(
      events
        .filter((e) => e.kind === 'retransmit')
        .map((e) => e.kind === 'retransmit' && [e.attempt, e.reason]),
    ).toEqual([
      [2, 'timeout'],
      [3, 'reconnect'],
    ]);
  });

  it('gives a device each message once as it arrives, by push or sync, whatever copies follow', () => {
    const events = convert([
      hello(0, 'b', 'bob', { lastSeq: 0 }),
      inb(1, 'b', 'msg:N', msg(1)),
      inb(2, 'b', 'msg:N', msg(1)),
      out(3, 'b', 'ack:R', { rid: 'a', upTo: 1 }),
      inb(4, 'b', 'msg:N', msg(1)),
      inb(5, 'b', 'sync:A', { rid: 's', msgs: [msg(2), msg(3)], more: false, maxSeq: 3 }),
      inb(6, 'b', 'msg:N', msg(3)),
    ]);
    const commits = events.filter((e) => e.kind === 'commit');
    expect(commits.map((e) => e.kind === 'commit' && [e.smid, e.via, e.t])).toEqual([
      ['s1', 'push', 1],
      ['s2', 'sync', 5],
      ['s3', 'sync', 5],
    ]);
    // Every copy is still on the wire for the checker to judge (wire duplicates).
    expect(events.filter((e) => e.kind === 'frame' && e.type === 'msg:N')).toHaveLength(4);
  });

  it('takes a line whose time went back as simultaneous with the one before, and counts it', () => {
    const events: HistoryEvent[] = [];
    const c = new CaptureConverter((e) => events.push(e));
    c.frame(hello(10, 'a', 'alice'));
    c.frame(inb(9, 'a', 'hello:A', { rid: 'h', maxSeq: 0, pending: 0, caps: [] }));
    expect(c.finish().reordered).toBe(1);
    expect(events.map((e) => e.t)).toEqual([0, 0, 0]);
  });

  it('refuses a frame after its connection closed, and bytes with no codec to read them', () => {
    const c = new CaptureConverter(() => {});
    c.frame(hello(0, 'a', 'alice'));
    c.close({ kind: 'close', t: 1, conn: 'a' });
    expect(() => c.frame(hello(2, 'a', 'alice'))).toThrow(/after its close line/);
    expect(() => c.frame({ t: 3, conn: 'z', dir: 'to-server', bytes: 'AAAA' })).toThrow(/needs a codec/);
  });
});

describe('checkCapture on bad files', () => {
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['not JSON', 'garbage\n', /:1: not JSON/],
    [
      'a frame without its direction',
      '{"t":1,"conn":"a","type":"ping:R","fields":{}}\n',
      /:1: not a capture frame line: \/ must have required property 'dir'/,
    ],
    ['an unknown kind', '\n{"kind":"note","t":1}\n', /:2: unknown kind "note"/],
    [
      'a header after the first line',
      `${JSON.stringify(hello(0, 'a', 'alice'))}\n{"kind":"capture","version":1}\n`,
      /:2: the header must be the first line/,
    ],
  ])('names the file and line of %s', async (_what, text, message) => {
    const path = file(`bad-${Math.random().toString(36).slice(2)}.jsonl`, text);
    const error = await checkCapture(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path);
  });

  it('says a missing capture is missing', async () => {
    await expect(checkCapture(join(dir, 'nope.jsonl'))).rejects.toThrow(/not found/);
  });
});
