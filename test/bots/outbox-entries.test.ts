import { describe, expect, it } from 'vitest';
import { OutboxEntries } from '../../src/bots/outbox-entries.js';
import type { OutboxEntry } from '../../src/bots/types.js';

const entry = (cmid: string): OutboxEntry => ({
  cmid,
  to: 'bob',
  body: 'hi',
  status: 'pending',
  attempts: 0,
  sentAt: Number.NaN,
});

function add(entries: OutboxEntries, cmid = entries.nextCmid()): string {
  entries.set(cmid, entry(cmid));
  return cmid;
}

describe('OutboxEntries', () => {
  it('finds generated cmids, and only by their exact string', () => {
    const entries = new OutboxEntries('ab12');
    const ids = Array.from({ length: 40 }, () => add(entries));
    expect(ids[0]).toBe('ab12.1');
    expect(ids[35]).toBe('ab12.10');
    for (const id of ids) expect(entries.get(id)?.cmid).toBe(id);
    for (const other of [
      'ab12.01',
      'ab12.0',
      'ab12.',
      'ab12.1x',
      'ab12.15',
      'ab13.1',
      'AB12.1',
      '',
      'ab12.-1',
    ]) {
      expect(entries.has(other)).toBe(false);
    }
    expect(entries.size).toBe(40);
    expect([...entries.values()].map((e) => e.cmid)).toEqual(ids);
  });

  it('keeps every entry, in the order sent, once a caller chooses a cmid', () => {
    const entries = new OutboxEntries('ab12');
    const first = add(entries);
    const chosen = add(entries, 'ab12.2');
    const next = add(entries);
    // The chosen cmid looked generated: the next generated one steps over it.
    expect(next).toBe('ab12.3');
    expect([...entries.values()].map((e) => e.cmid)).toEqual([first, chosen, next]);
    for (const id of [first, chosen, next]) expect(entries.get(id)?.cmid).toBe(id);
    expect(entries.has('ab12.01')).toBe(false);
    expect(entries.size).toBe(3);
  });
});
