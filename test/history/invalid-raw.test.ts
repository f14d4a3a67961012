/**
 * A frame that failed decoding keeps its wire text to the end of the case (FRAME-4's evidence),
 * so a hostile server's huge junk frames would each stay whole in memory: the history keeps the
 * head of such a text only.
 */
import { describe, expect, it } from 'vitest';
import { type FrameEvent, History, MAX_INVALID_RAW } from '../../src/history/events.js';

function frame(raw: string, invalid?: string): FrameEvent {
  const e: FrameEvent = {
    kind: 'frame',
    t: 1,
    actor: 'bob/phone',
    conn: 1,
    dir: 'in',
    type: undefined,
    fields: {},
    raw,
  };
  if (invalid !== undefined) e.invalid = invalid;
  return e;
}

describe('the wire text of an invalid frame', () => {
  it('keeps the head of an 8 MiB junk frame and says how long it was', () => {
    const history = new History();
    const junk = `{"type":"msg:N","body":"${'x'.repeat(8 * 1024 * 1024)}`;
    history.append(frame(junk, 'frame is not valid JSON'));
    const kept = (history.events[0] as FrameEvent).raw;
    expect(kept.length).toBeLessThan(MAX_INVALID_RAW + 100);
    expect(kept.startsWith(junk.slice(0, MAX_INVALID_RAW))).toBe(true);
    expect(kept).toMatch(
      new RegExp(`… \\(${junk.length} characters in all, the first ${MAX_INVALID_RAW} kept\\)$`),
    );
  });

  it('keeps a short invalid frame and a long valid one whole', () => {
    const history = new History();
    const page = `{"type":"sync:A","x":"${'y'.repeat(MAX_INVALID_RAW * 2)}"}`;
    history.append(frame('{not json', 'frame is not valid JSON'));
    history.append(frame(page));
    expect((history.events[0] as FrameEvent).raw).toBe('{not json');
    expect((history.events[1] as FrameEvent).raw).toBe(page);
  });
});
