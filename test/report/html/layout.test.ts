import { describe, expect, it } from 'vitest';
import { alwaysShown, buildRows, layout, stretch, yAt } from '../../../src/report/html/client/layout.js';
import type { TimelineEvent, TimelineModel } from '../../../src/report/html/model.js';

function timeline(n: number, extra: Partial<TimelineModel> = {}): TimelineModel {
  const events: TimelineEvent[] = Array.from({ length: n }, (_, i) => ({
    k: 'frame',
    i,
    t: i,
    actor: 'alice/phone',
    conn: 1,
    dir: 'out',
    type: i % 2 ? 'msg:R' : 'ack:R',
    fields: {},
  }));
  return { lanes: ['alice/phone', 'server'], events, total: n, omitted: [], withoutRaw: 0, ...extra };
}

const FOLD = { fold: true, context: 3, minRun: 10, expanded: new Set<number>() };

describe('the diagram rows', () => {
  it('folds long runs of ordinary events, never the rows around an important one', () => {
    const rows = buildRows(timeline(200), new Set([100]), FOLD);
    const folds = rows.filter((r) => r.r === 'folded');
    expect(folds).toHaveLength(2);
    const shown = rows.flatMap((r) => (r.r === 'event' ? [r.ev.i] : []));
    expect(shown).toEqual([97, 98, 99, 100, 101, 102, 103]);
    const folded = folds.reduce((n, r) => n + (r.r === 'folded' ? r.count : 0), 0);
    expect(folded + shown.length).toBe(200);
    expect(folds[0]).toMatchObject({ start: 0, count: 97, byType: { 'msg:R': 48, 'ack:R': 49 } });
  });

  it('opens a fold the user expanded, and shows runs too short to fold', () => {
    const rows = buildRows(timeline(30), new Set([15]), { ...FOLD, expanded: new Set([0]) });
    expect(rows.slice(0, 19).every((r) => r.r === 'event')).toBe(true);
    expect(rows[19]).toMatchObject({ r: 'folded', start: 19, count: 11 });
    const short = buildRows(timeline(12), new Set([6]), FOLD);
    expect(short.every((r) => r.r === 'event')).toBe(true);
  });

  it('keeps faults, target events and the frames faults hit out of any fold', () => {
    const tl = timeline(50);
    tl.events[20] = { k: 'fault', i: 20, t: 20, rule: 'r', action: 'drop', frameI: 19 };
    tl.events[40] = { k: 'target', i: 40, t: 40, action: 'kill' };
    expect([...alwaysShown(tl)].sort((a, b) => a - b)).toEqual([19, 20, 40]);
  });

  it('marks what the report left out where it was, with its counts', () => {
    const tl = timeline(4);
    tl.events = tl.events.filter((e) => e.i !== 2);
    tl.omitted = [{ from: 2, to: 2, tFrom: 2, tTo: 2, count: 1, byType: { 'ack:R': 1 } }];
    const rows = buildRows(tl, new Set(), { ...FOLD, fold: false });
    expect(rows.map((r) => r.r)).toEqual(['event', 'event', 'omitted', 'event']);
  });

  it('runs time down: a pause adds space that grows with its logarithm, and yAt interpolates', () => {
    expect(stretch(1)).toBe(0);
    expect(stretch(100)).toBeGreaterThan(stretch(10));
    expect(stretch(1e6)).toBe(stretch(1e7));
    const tl = timeline(3);
    tl.events[2]!.t = 1000;
    const lay = layout(buildRows(tl, new Set(), { ...FOLD, fold: false }));
    const ys = lay.rows.map((r) => r.y);
    expect(ys[2]! - ys[1]!).toBeGreaterThan(ys[1]! - ys[0]!);
    const mid = yAt(lay, 500);
    expect(mid).toBeGreaterThan(ys[1]!);
    expect(mid).toBeLessThan(ys[2]! + 22);
  });
});
