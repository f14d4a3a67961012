/**
 * The bench's count-once floor (scripts/bench/kit-floor.ts) places the checker's speed goal: it is
 * only a fair floor if it judges what check() judges at the least, "committed exactly once". So on
 * the same altered histories both must see the lost and the duplicated message.
 */

import { expect, it } from 'vitest';
import { syntheticContext, syntheticHistory } from '../../scripts/bench/checker.js';
import { countOnce } from '../../scripts/bench/kit-floor.js';
import { check } from '../../src/checker/check.js';
import type { HistoryEvent } from '../../src/history/events.js';

/** The kinds of check()'s findings; no grace, as the synthetic history spans milliseconds. */
const kinds = (events: readonly HistoryEvent[]) =>
  new Set(check(events, { ...syntheticContext(), graceMs: 0 }).findings.map((f) => f.kind));

it('counts nothing on a clean history, as check() finds nothing', () => {
  const events = syntheticHistory(500);
  expect(countOnce(events)).toBe(0);
  expect(kinds(events).size).toBe(0);
});

it('counts a message never pushed nor committed, which check() finds lost', () => {
  const lost = syntheticHistory(500).filter(
    (e) =>
      !(e.kind === 'commit' && e.smid === 'm200') &&
      !(e.kind === 'frame' && e.type === 'msg:N' && (e.fields as { smid?: string }).smid === 'm200'),
  );
  expect(countOnce(lost)).toBe(1);
  expect(kinds(lost)).toContain('lost');
});

it('counts a message committed twice, which check() finds duplicated', () => {
  const events = syntheticHistory(500);
  const at = events.findIndex((e) => e.kind === 'commit' && e.smid === 'm300');
  const twice = [...events.slice(0, at + 1), events[at]!, ...events.slice(at + 1)];
  expect(countOnce(twice)).toBe(1);
  expect(kinds(twice)).toContain('app-duplicate');
});

it('grows its slots past the eight events a message it sized for', () => {
  // Sends alone: more messages than events / 8 slots.
  const sends: HistoryEvent[] = Array.from({ length: 100 }, (_, k) => ({
    kind: 'send',
    t: k,
    actor: 's/phone',
    cmid: `c${k}`,
    to: 'r',
    body: 'b',
  }));
  expect(countOnce(sends)).toBe(100);
});
