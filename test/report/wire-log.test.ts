import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { cut, renderEvent, renderWireLog } from '../../src/report/wire-log.js';
import { EVENTS } from './fixtures.js';

describe('renderWireLog', () => {
  it('shows the evidence with two events of context each side and marks it', () => {
    const lines = renderWireLog(EVENTS, [5]);
    expect(lines).toEqual([
      '  …',
      '  +2.200ms alice/phone#1 ← msg:A {"rid":"r1","cmid":"c1","smid":"s1","ts":1700000000000}',
      '  +3.300ms bob/laptop#1 ← msg:N {"smid":"s1","cmid":"c1","from":"alice","to":"bob","body":"hello","seq":1,"ts":1}',
      '> +3.400ms bob/laptop commit smid=s1 cmid=c1 seq=1 via push',
      '  +3.500ms bob/laptop#1 → ack:R {"rid":"r2","upTo":1}',
      '  +4.600ms bob/laptop#1 ← ack:A {"rid":"r2","upTo":1}',
      '  …',
    ]);
  });

  it('draws → for client-to-server frames and ← for server-to-client', () => {
    expect(renderEvent(EVENTS[2]!)).toContain('alice/phone#1 → msg:R');
    expect(renderEvent(EVENTS[3]!)).toContain('alice/phone#1 ← msg:A');
  });

  it('shrinks context to stay within maxLines and separates distant evidence with …', () => {
    const lines = renderWireLog(EVENTS, [1, 10], 6);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.filter((l) => l.startsWith('>'))).toHaveLength(2);
    expect(lines).toContain('  …');
  });

  it('says how much evidence it left out when even the evidence does not fit', () => {
    const lines = renderWireLog(EVENTS, [0, 2, 4, 6, 8, 10], 4);
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^> \+0.500ms step/),
      '  …',
      expect.stringMatching(/^> \+1.100ms/),
    ]);
    expect(lines[3]).toBe('  … 4 more evidence events');
  });

  it('ignores out-of-range and duplicate indexes, and returns nothing without evidence', () => {
    expect(renderWireLog(EVENTS, [])).toEqual([]);
    expect(renderWireLog(EVENTS, [-1, 99])).toEqual([]);
    expect(renderWireLog(EVENTS, [11, 11, 11], 12).filter((l) => l.startsWith('>'))).toHaveLength(1);
  });

  it('truncates long frames with … and keeps the closing brace', () => {
    const body = 'x'.repeat(500);
    const event: HistoryEvent = {
      kind: 'frame',
      t: 12.3456,
      actor: 'alice/phone',
      conn: 2,
      dir: 'out',
      type: 'msg:R',
      fields: { type: 'msg:R', rid: 'r3', cmid: 'c3', to: 'bob', body },
      raw: '',
    };
    const line = renderEvent(event, true);
    expect(
      line.startsWith('> +12.346ms alice/phone#2 → msg:R {"rid":"r3","cmid":"c3","to":"bob","body":"xxx'),
    ).toBe(true);
    expect(line.endsWith('…}')).toBe(true);
    expect(line.length).toBeLessThan(140);
  });

  it('renders undecodable frames from their raw text with the reason, on one line', () => {
    const event: HistoryEvent = {
      kind: 'frame',
      t: 1,
      actor: 'bob/laptop',
      conn: 1,
      dir: 'in',
      type: undefined,
      fields: {},
      raw: '{"type":\n"msg:N"',
      invalid: 'not JSON',
    };
    expect(renderEvent(event)).toBe('  +1.000ms bob/laptop#1 ← ? {"type":\\n"msg:N" (invalid: not JSON)');
  });

  it('never cuts a surrogate pair in half', () => {
    const text = `${'a'.repeat(8)}😀😀😀`;
    const out = cut(text, 10);
    expect(out).toBe('aaaaaaaa…');
    expect(cut('short', 10)).toBe('short');
  });
});
