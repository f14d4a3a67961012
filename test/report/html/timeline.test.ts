import { describe, expect, it } from 'vitest';
import type { FrameEvent, HistoryEvent } from '../../../src/history/events.js';
import { buildRunReport, timelineKey } from '../../../src/report/html/build.js';
import { renderHtml } from '../../../src/report/html/render.js';
import { buildTimeline, laneOrder, linkFaults } from '../../../src/report/html/timeline.js';
import { caseResult, finding } from '../fixtures.js';

function frame(
  t: number,
  actor: string,
  dir: 'in' | 'out',
  fields: Record<string, unknown>,
  raw = true,
): FrameEvent {
  return {
    kind: 'frame',
    t,
    actor,
    conn: 1,
    dir,
    type: fields['type'] as FrameEvent['type'],
    fields,
    raw: raw ? JSON.stringify(fields) : '',
  };
}

/** A fault as the ws proxy records it (FaultRecord's extra members included). */
function fault(
  t: number,
  actor: string,
  direction: string,
  action: string,
  fields: Record<string, unknown>,
  params = {},
): HistoryEvent {
  return {
    kind: 'fault',
    t,
    rule: `r-${action}`,
    action,
    actor,
    frame: JSON.stringify(fields),
    id: 1,
    layer: 'frame',
    params,
    direction,
    type: fields['type'],
    conn: 1,
  } as HistoryEvent;
}

const msgR = { type: 'msg:R', rid: '~1', cmid: 'c1', to: 'bob', body: 'hi' };
const msgA = { type: 'msg:A', rid: '~1', cmid: 'c1', smid: 's1', ts: 1 };
const msgN = { type: 'msg:N', smid: 's1', cmid: 'c1', from: 'alice', to: 'bob', body: 'hi', seq: 1, ts: 1 };

describe('the diagram model of a history', () => {
  it('ties a fault on a client→server frame to the frame the bot sent, and a delayed push to the frame that arrived', () => {
    const events: HistoryEvent[] = [
      frame(1, 'alice/phone', 'out', msgR), // 0
      fault(1.2, 'alice/phone', 'to-server', 'drop', msgR), // 1
      fault(2, 'bob/phone', 'to-client', 'delay', msgN, { ms: 40 }), // 2
      frame(42, 'bob/phone', 'in', msgN), // 3
      fault(50, 'alice/phone', 'to-client', 'drop', msgA), // 4
    ];
    const links = linkFaults(events);
    expect(links.frameOf.get(1)).toBe(0);
    expect(links.faultOf.get(0)).toBe(1);
    expect(links.frameOf.get(2)).toBe(3);
    // A dropped push never reached the bot: no frame to tie it to (the page draws a lost arrow).
    expect(links.frameOf.has(4)).toBe(false);
    const tl = buildTimeline(events, []);
    const sent = tl.events[0]!;
    expect(sent.k === 'frame' && sent.fault).toBe(1);
    const lost = tl.events[4]!;
    expect(lost).toMatchObject({
      k: 'fault',
      action: 'drop',
      direction: 'to-client',
      type: 'msg:A',
      fields: { cmid: 'c1', smid: 's1' },
    });
  });

  it('never ties a push a stall swallowed to the re-push of the same message that arrived later', () => {
    const swallowed = {
      ...fault(5, 'bob/phone', 'to-client', 'stall', msgN),
      cause: 1,
    } as unknown as HistoryEvent;
    const events: HistoryEvent[] = [swallowed, frame(900, 'bob/phone', 'in', msgN)];
    const links = linkFaults(events);
    expect(links.frameOf.size).toBe(0);
    expect(buildTimeline(events, []).events[0]).toMatchObject({
      k: 'fault',
      consequence: true,
      type: 'msg:N',
    });
  });

  it('puts the server lane between the senders and the receivers', () => {
    const events = [
      frame(1, 'bob/phone', 'in', msgN),
      frame(2, 'alice/phone', 'out', msgR),
      frame(3, 'bob/tablet', 'in', msgN),
    ];
    expect(laneOrder(events)).toEqual(['alice/phone', 'server', 'bob/phone', 'bob/tablet']);
    // Nobody sent: half on each side.
    expect(laneOrder([frame(1, 'a/x', 'in', msgN), frame(2, 'b/x', 'in', msgN)])).toEqual([
      'a/x',
      'server',
      'b/x',
    ]);
  });

  it('shows frames of a compact history (no raw text) from their fields and counts them', () => {
    const tl = buildTimeline(
      [frame(1, 'alice/phone', 'out', msgR, false), frame(2, 'alice/phone', 'in', msgA)],
      [],
    );
    expect(tl.withoutRaw).toBe(1);
    expect(tl.events[0]).not.toHaveProperty('raw');
    expect(tl.events[0]).toMatchObject({ fields: { cmid: 'c1', rid: '~1' } });
    expect(tl.events[1]).toHaveProperty('raw');
  });

  it('cuts a hostile 1 MB identifier in a frame’s key fields, so the page stays small', () => {
    const long = 'C'.repeat(1024 * 1024);
    const tl = buildTimeline([frame(1, 'alice/phone', 'in', { ...msgA, cmid: long, rid: long })], []);
    const fields = (tl.events[0] as { fields: Record<string, unknown> }).fields;
    expect(String(fields['cmid']).length).toBeLessThan(200);
    expect(String(fields['rid']).length).toBeLessThan(200);
    expect(fields['smid']).toBe('s1');
    expect(JSON.stringify(tl).length).toBeLessThan(10_000);
  });

  it('bounds a 1M-frame case to a few MB, keeps every finding’s evidence and says what it left out', () => {
    const total = 1_000_000;
    // Shared field objects keep the test's own memory small; the builder does not care.
    const out = { type: 'msg:R', rid: '~1', cmid: 'c', to: 'bob', body: 'x' };
    const raw = JSON.stringify(out);
    const events: HistoryEvent[] = new Array(total);
    for (let i = 0; i < total; i++)
      events[i] = {
        kind: 'frame',
        t: i / 10,
        actor: 'alice/phone',
        conn: 1,
        dir: 'out',
        type: 'msg:R',
        fields: out,
        raw,
      };
    const evidence = [17, 500_000, 999_998];
    const f = finding('DEDUP-2', 'MUST', { evidence });
    const tl = buildTimeline(events, [f]);
    const kept = new Set(tl.events.map((e) => e.i));
    for (const i of evidence) expect(kept.has(i)).toBe(true);
    expect(tl.events.length).toBeLessThanOrEqual(20_000 + evidence.length);
    expect(tl.total).toBe(total);
    const left = tl.omitted.reduce((n, r) => n + r.count, 0);
    expect(left + tl.events.length).toBe(total);
    expect(tl.omitted.every((r) => r.byType['msg:R'] === r.count)).toBe(true);
    const run = {
      runId: 'r',
      startedAt: '',
      durationMs: 1,
      target: 't',
      driver: 'ran',
      seed: 1,
      staleExemptions: [],
      notRunExemptions: [],
      exitCode: 1 as const,
    };
    const c = caseResult('huge', 'FAIL', { findings: [f], seed: 9 });
    const html = renderHtml(
      buildRunReport({ ...run, cases: [c] }, new Map([[timelineKey('huge', 9), tl]]), { version: 'test' }),
    );
    console.log(
      `1M-frame case: ${tl.events.length} events kept, report ${(html.length / 1e6).toFixed(1)} MB`,
    );
    expect(html.length).toBeLessThan(12_000_000);
  });

  it('keeps nothing out of a case that fits', () => {
    const tl = buildTimeline([frame(1, 'alice/phone', 'out', msgR)], []);
    expect(tl.omitted).toEqual([]);
    expect(tl.total).toBe(1);
  });
});
