import { describe, expect, it } from 'vitest';
import { NotificationHub } from '../../src/drivers/notification-hub.js';
import { frameOf, readInbound } from '../../src/drivers/ran/wire.js';

const text = (s: string) => Buffer.from(s, 'utf8');

describe('readInbound (FRAME-4 evidence)', () => {
  it('decodes a valid frame into typed fields', () => {
    const f = readInbound(text('{"type":"ping:A","rid":"r1","serverTime":5}'), false, 1, 'a/d', 1);
    expect(f.invalid).toBeUndefined();
    expect(f.type).toBe('ping:A');
    expect(frameOf(f)).toEqual({ type: 'ping:A', rid: 'r1', serverTime: 5 });
  });

  it('keeps the claimed type and fields of a schema-invalid frame and says what is wrong', () => {
    const f = readInbound(
      text('{"type":"msg:A","rid":"r1","cmid":"c","smid":"s","ts":1,"extra":1}'),
      false,
      1,
      'a/d',
      1,
    );
    expect(frameOf(f)).toBeUndefined();
    expect(f.type).toBe('msg:A');
    expect(f.fields.extra).toBe(1);
    expect(f.invalid).toMatch(/extra/);
  });

  it('records text that is not JSON with no type and the raw text', () => {
    const f = readInbound(text('not json'), false, 1, 'a/d', 1);
    expect(f.type).toBeUndefined();
    expect(f.fields).toEqual({});
    expect(f.raw).toBe('not json');
    expect(f.invalid).toMatch(/JSON/);
  });

  it('flags invalid UTF-8 instead of throwing', () => {
    const f = readInbound(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false, 1, 'a/d', 1);
    expect(f.invalid).toMatch(/UTF-8/);
  });

  it('records a leading byte-order mark as sent: the frame is then not JSON (FRAME-1)', () => {
    const f = readInbound(text('\uFEFF{"type":"ping:A","rid":"r1","serverTime":5}'), false, 1, 'a/d', 1);
    expect(f.raw.charCodeAt(0)).toBe(0xfeff);
    expect(f.type).toBeUndefined();
    expect(f.invalid).toMatch(/JSON/);
  });

  it('keeps the exact text of a valid frame with multi-byte characters', () => {
    const raw = '{"type":"ping:A","rid":"r€😀","serverTime":5}';
    const f = readInbound(text(raw), false, 1, 'a/d', 1);
    expect(f.raw).toBe(raw);
    expect(frameOf(f)).toEqual({ type: 'ping:A', rid: 'r€😀', serverTime: 5 });
  });

  it('flags a binary message', () => {
    const f = readInbound(Buffer.from([1, 2, 3]), true, 1, 'a/d', 1);
    expect(f.invalid).toMatch(/binary/);
    expect(f.raw).toMatch(/3 bytes/);
  });

  it('accepts a sync:A larger than the default frame limit (pages may be big)', () => {
    const body = 'x'.repeat(16_000);
    const msgs = Array.from({ length: 10 }, (_, i) => ({
      smid: `s${i}`,
      cmid: `c${i}`,
      from: 'a',
      to: 'b',
      body,
      seq: i + 1,
      ts: 1,
    }));
    const f = readInbound(
      text(JSON.stringify({ type: 'sync:A', rid: 'r', msgs, more: false, maxSeq: 10 })),
      false,
      1,
      'a/d',
      1,
    );
    expect(f.invalid).toBeUndefined();
  });
});

describe('NotificationHub', () => {
  it('hands notifications that arrived before any subscriber to the first one, in order', () => {
    const hub = new NotificationHub<number>();
    hub.push(1);
    hub.push(2);
    const seen: number[] = [];
    hub.on((n) => seen.push(n));
    hub.push(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('feeds an async iterator that ends when the hub ends', async () => {
    const hub = new NotificationHub<number>();
    hub.push(1);
    const it = hub.iterate();
    hub.push(2);
    hub.end();
    const seen: number[] = [];
    for await (const n of it) seen.push(n);
    expect(seen).toEqual([1, 2]);
  });
});
