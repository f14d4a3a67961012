import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.js';
import type { FrameEvent, HistoryEvent } from '../../src/history/events.js';
import { RawWindowHistory } from '../../src/history/raw-window.js';
import { buildTimeline } from '../../src/report/html/timeline.js';
import { ctx, GRACE, H, summary } from '../checker/fixtures.js';

const A = 'alice/phone';
const B = 'bob/phone';

/** Three delivered messages, an invalid receipt (FRAME-4), a lost one (msg:R never answered). */
function run(): H {
  const h = new H();
  h.connect(A);
  h.connect(B);
  for (let i = 0; i < 3; i++) h.deliver(A, [B]);
  const m = h.deliver(A, [B], { receipt: false });
  h.in(
    A,
    'ack:N',
    { cmid: m.cmid, smid: m.smid, to: 'bob', status: 'delivered', ts: 1, extra: 1 },
    'ack:N: unknown member "extra"',
  );
  h.request(A, 'ping:R');
  h.wait(GRACE + 100);
  h.teardown();
  return h;
}

/** The same events appended to a windowed history (copies: appending drops text in place). */
function windowed(events: readonly HistoryEvent[], window: number): RawWindowHistory {
  const history = new RawWindowHistory(window);
  for (const e of structuredClone(events)) history.append(e);
  return history;
}

const frames = (events: readonly HistoryEvent[]) => events.filter((e): e is FrameEvent => e.kind === 'frame');

describe('RawWindowHistory: raw text of valid frames kept only for the newest ones', () => {
  it('keeps the text of the newest valid frames and of every invalid frame, and no other', () => {
    const h = run();
    const history = windowed(h.events, 3);
    const all = frames(history.events);
    const valid = all.filter((f) => f.invalid === undefined);
    expect(valid.length).toBeGreaterThan(10);
    expect(valid.slice(-3).every((f) => f.raw.length > 0)).toBe(true);
    expect(valid.slice(0, -3).every((f) => f.raw === '')).toBe(true);
    const invalid = all.filter((f) => f.invalid !== undefined);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.raw).toContain('"extra"');
    // Nothing else changes: every event is there, the fields are the same objects' copies.
    expect(history.events).toHaveLength(h.events.length);
    expect(frames(history.events).map((f) => f.fields)).toEqual(frames(h.events).map((f) => f.fields));
  });

  it('listeners see each frame with its text; a window of 0 drops it right after', () => {
    const history = new RawWindowHistory(0);
    const seen: string[] = [];
    history.subscribe((e) => {
      if (e.kind === 'frame') seen.push(e.raw);
    });
    const h = run();
    for (const e of structuredClone(h.events)) history.append(e);
    expect(seen.every((raw) => raw.length > 0)).toBe(true);
    expect(frames(history.events).filter((f) => f.invalid === undefined && f.raw !== '')).toEqual([]);
  });

  it('the checker reaches the same findings and stats with or without the text', () => {
    const h = run();
    const full = check(h.events, ctx(h));
    const lean = check(windowed(h.events, 2).events, ctx(h));
    expect(summary(full)).toEqual(['schema-violation FRAME-4', 'unanswered-request RID-1']);
    expect(summary(lean)).toEqual(summary(full));
    expect(lean.stats).toEqual(full.stats);
    expect(lean.findings.map((f) => [f.expected, f.actual, f.evidence])).toEqual(
      full.findings.map((f) => [f.expected, f.actual, f.evidence]),
    );
  });

  it('the HTML timeline draws the frames whose text was dropped from their fields', () => {
    const h = run();
    const history = windowed(h.events, 3);
    const result = check(history.events, ctx(h));
    const model = buildTimeline(history.events, result.findings);
    const drawn = model.events.filter((e) => e.k === 'frame');
    expect(model.withoutRaw).toBe(drawn.length - 4);
    expect(buildTimeline(h.events, check(h.events, ctx(h)).findings).withoutRaw).toBe(0);
  });
});

describe('imspec run --raw-window', () => {
  it('runs a case with a window of 0 to the same verdict and findings, its wire log drawn from fields', async () => {
    const { runSuites } = await import('../../src/runner/run.js');
    const input = {
      paths: ['suites/core/happy-six-frames.yaml'],
      serverFaults: ['no-delivered-receipt'],
      seed: 5,
      reports: [],
    };
    const [full] = (await runSuites(input)).cases;
    const [windowed] = (await runSuites({ ...input, rawWindow: 0 })).cases;
    expect(windowed?.verdict).toBe('FAIL');
    expect(windowed?.verdict).toBe(full?.verdict);
    const rules = (c: typeof full) => [...new Set(c?.findings.map((f) => f.requirement))].sort();
    expect(rules(windowed).length).toBeGreaterThan(0);
    expect(rules(windowed)).toEqual(rules(full));
    expect(windowed?.wireLog.some((line) => line.includes('msg:A {"rid":'))).toBe(true);
  }, 60_000);

  it('refuses a window that is not a whole number of frames (usage error)', async () => {
    const { resolveRunOptions } = await import('../../src/runner/options.js');
    expect(() => resolveRunOptions({ rawWindow: -1 })).toThrow(/--raw-window must be a whole number/);
    expect(() => resolveRunOptions({ rawWindow: 1.5 })).toThrow(/--raw-window/);
    expect(resolveRunOptions({ rawWindow: 0 }).rawWindow).toBe(0);
  });
});
