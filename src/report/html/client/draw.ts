/**
 * SVG for one diagram row: a frame as an arrow between its actor's lane and the server's, a
 * fault where it acted (a dropped frame as a lost arrow ending in ✕, a delayed one slanted down to
 * where it arrived, a duplicated one doubled), target events as lines across every lane, bot
 * events as dots on their lane, folds and left-out stretches as grey bars.
 *
 * Every element drawn for a history event carries `data-i` (its history index), so the page can
 * highlight the evidence of a finding and tests can find it.
 */

import type { FaultModel, FrameModel, TimelineEvent } from '../model.js';
import { countsText, fieldText, s } from './dom.js';
import { type Layout, type Row, yAt } from './layout.js';

export const GUTTER = 64;

export interface Geometry {
  laneX: Map<string, number>;
  server: number;
  width: number;
  lay: Layout;
  faults: Map<number, FaultModel>;
  highlighted: ReadonlySet<number>;
}

export function geometry(
  lanes: readonly string[],
  width: number,
  lay: Layout,
  faults: Map<number, FaultModel>,
  highlighted: ReadonlySet<number>,
): Geometry {
  const laneW = Math.max(150, (width - GUTTER - 20) / Math.max(1, lanes.length));
  const laneX = new Map(lanes.map((l, k) => [l, GUTTER + laneW * (k + 0.5)]));
  return {
    laneX,
    server: laneX.get('server') ?? GUTTER,
    width: GUTTER + laneW * lanes.length + 20,
    lay,
    faults,
    highlighted,
  };
}

/** Elements for one row. */
export function drawRow(row: Row, g: Geometry): SVGElement[] {
  const mid = row.y + row.h / 2;
  switch (row.r) {
    case 'omitted':
      return bar(
        row.y,
        g,
        'omitted',
        `… ${row.range.count} events left out of this report: ${countsText(row.range.byType)}`,
      );
    case 'folded': {
      const el = bar(
        row.y,
        g,
        'folded',
        `⋯ ${row.count} ordinary events folded (${countsText(row.byType)}) — click to show`,
      );
      for (const e of el) e.setAttribute('data-fold', String(row.start));
      return el;
    }
    case 'event':
      return [timeLabel(row.t, mid), ...drawEvent(row.ev, mid, g)];
  }
}

function drawEvent(ev: TimelineEvent, y: number, g: Geometry): SVGElement[] {
  const hl = g.highlighted.has(ev.i) ? ' hl' : '';
  switch (ev.k) {
    case 'frame':
      return drawFrame(ev, y, g, hl);
    case 'fault':
      return drawFault(ev, y, g, hl);
    case 'target': {
      const down =
        ev.action === 'kill' || ev.action === 'exited' || ev.action === 'term' || ev.action === 'pause';
      const cls = `target${down ? ' down' : ''}${hl}`;
      return [
        s('line', { x1: GUTTER, x2: g.width, y1: y, y2: y, class: cls, 'data-i': ev.i }),
        label(
          g.server,
          y - 4,
          shorten(
            `server ${ev.action === 'kill' ? 'kill -9' : ev.action}${ev.detail ? ` (${ev.detail})` : ''}`,
            90,
          ),
          `${cls} mid`,
          ev.i,
        ),
      ];
    }
    case 'step':
      return [
        s('line', { x1: GUTTER, x2: g.width, y1: y, y2: y, class: `step${hl}`, 'data-i': ev.i }),
        label(GUTTER + 4, y - 3, `step ${ev.index + 1}: ${ev.label}`, `step-label${hl}`, ev.i),
      ];
    case 'note': {
      const x = (ev.actor !== undefined ? g.laneX.get(ev.actor) : undefined) ?? g.server;
      const cls = `note n-${ev.kind}${ev.failed ? ' failed' : ''}${hl}`;
      // Text runs away from the page's right edge.
      const right = x > g.width * 0.6;
      return [
        s('circle', { cx: x, cy: y, r: 3.5, class: cls, 'data-i': ev.i }),
        label(right ? x - 7 : x + 7, y + 4, shorten(ev.text, 64), `${cls}${right ? ' end' : ''}`, ev.i),
      ];
    }
  }
}

function drawFrame(ev: FrameModel, y: number, g: Geometry, hl: string): SVGElement[] {
  const a = g.laneX.get(ev.actor) ?? GUTTER;
  const out = ev.dir === 'out';
  const fault = ev.fault !== undefined ? g.faults.get(ev.fault) : undefined;
  const op = ev.type.split(':')[0] ?? '?';
  let cls = `arrow op-${op}${ev.invalid !== undefined ? ' invalid' : ''}${hl}`;
  const x1 = out ? a : g.server;
  let x2 = out ? g.server : a;
  let y1 = y;
  const y2 = y;
  let y2End = y2;
  let note = '';
  const els: SVGElement[] = [];
  if (fault) {
    cls += ` faulted f-${fault.action}`;
    if (isLost(fault)) {
      x2 = (x1 + x2) / 2;
      note = ` ✕ ${fault.action === 'drop' ? 'dropped' : 'swallowed'} (${fault.rule})`;
      els.push(cross(x2, y2, ev.i, hl));
    } else if (fault.action === 'delay' || fault.action === 'reorder') {
      const ms = typeof fault.params?.['ms'] === 'number' ? fault.params['ms'] : undefined;
      if (out && ms !== undefined) y2End = yAt(g.lay, ev.t + ms);
      if (!out) y1 = Math.min(y, yAt(g.lay, fault.t));
      note = ` ⧗ ${fault.action === 'delay' ? `delayed${ms !== undefined ? ` ${ms} ms` : ''}` : 'reordered'} (${fault.rule})`;
    } else if (fault.action === 'duplicate') {
      const copies = typeof fault.params?.['copies'] === 'number' ? fault.params['copies'] : 1;
      note = out ? ` ×${1 + copies} duplicated (${fault.rule})` : ` duplicated (${fault.rule})`;
      if (out) els.push(s('line', { x1, y1: y1 + 4, x2, y2: y2 + 4, class: cls, 'data-i': ev.i }));
    } else note = ` ⚡ ${fault.action} (${fault.rule})`;
  }
  els.unshift(
    s('line', {
      x1,
      y1,
      x2,
      y2: y2End,
      class: cls,
      'data-i': ev.i,
      'marker-end': fault && isLost(fault) ? undefined : 'url(#arr)',
    }),
  );
  const text = `${ev.type} ${fieldText(ev.fields)}${ev.invalid !== undefined ? ' ✗ invalid' : ''}${note}`;
  const lcls = `flabel${fault ? ' faulted-label' : ''}${ev.invalid !== undefined ? ' invalid-label' : ''}${hl} mid`;
  els.push(label((x1 + x2) / 2, Math.min(y1, y2End) - 4, shorten(text, 70), lcls, ev.i));
  return els;
}

function drawFault(ev: FaultModel, y: number, g: Geometry, hl: string): SVGElement[] {
  const a = ev.actor !== undefined ? g.laneX.get(ev.actor) : undefined;
  const cls = `fault f-${ev.action}${ev.consequence ? ' consequence' : ''}${hl}`;
  const text = `⚡ ${ev.rule}: ${ev.action}${ev.type ? ` ${ev.type}` : ''} ${fieldText(ev.fields)}`;
  // Drawn on the frame it hit: here only a marker between the lanes.
  if (a === undefined || ev.frameI !== undefined || ev.direction === undefined || !isLost(ev)) {
    const x = a !== undefined ? (a + g.server) / 2 : g.server;
    // Text runs away from the page's right edge.
    const right = x > g.width * 0.6;
    return [
      s('rect', {
        x: x - 5,
        y: y - 5,
        width: 10,
        height: 10,
        class: cls,
        'data-i': ev.i,
        'data-fault': ev.action,
      }),
      label(
        right ? x - 9 : x + 9,
        y + 4,
        shorten(text, 70),
        `flabel faulted-label${right ? ' end' : ''}${hl}`,
        ev.i,
      ),
    ];
  }
  // A dropped frame the bot never saw (server → client), or one sent before its frame was kept: a lost arrow.
  const toServer = ev.direction === 'to-server';
  const x1 = toServer ? a : g.server;
  const x2 = (a + g.server) / 2;
  return [
    s('line', { x1, y1: y, x2, y2: y, class: `arrow lost ${cls}`, 'data-i': ev.i, 'data-fault': 'drop' }),
    cross(x2, y, ev.i, hl),
    label(
      (x1 + x2) / 2,
      y - 4,
      shorten(
        `${ev.type ?? 'frame'} ${fieldText(ev.fields)} ✕ ${ev.action === 'drop' ? 'dropped' : 'swallowed'} (${ev.rule})`,
        70,
      ),
      `flabel faulted-label${hl} mid`,
      ev.i,
    ),
  ];
}

/** The frame never reached the other side: dropped, or swallowed by a stall (the stall's own frame too). */
function isLost(f: FaultModel): boolean {
  return f.action === 'drop' || f.action === 'stall' || f.consequence === true;
}

function cross(x: number, y: number, i: number, hl: string): SVGElement {
  return s('path', {
    d: `M${x - 5},${y - 5}L${x + 5},${y + 5}M${x - 5},${y + 5}L${x + 5},${y - 5}`,
    class: `cross${hl}`,
    'data-i': i,
  });
}

function bar(y: number, g: Geometry, cls: string, text: string): SVGElement[] {
  return [
    s('rect', { x: GUTTER, y: y + 3, width: g.width - GUTTER - 10, height: 20, rx: 4, class: cls }),
    label(GUTTER + 10, y + 17, text, `${cls}-label`),
  ];
}

function timeLabel(t: number, y: number): SVGElement {
  return s(
    'text',
    { x: GUTTER - 6, y: y + 4, class: 'time' },
    `+${t < 10_000 ? t.toFixed(1) : Math.round(t)}`,
  );
}

function label(x: number, y: number, text: string, cls: string, i?: number): SVGElement {
  return s('text', { x, y, class: `label ${cls}`, 'data-i': i }, text);
}

function shorten(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Shaded bands while the server was down (kill/term/exit → next start/restart) or paused. */
export function downBands(
  events: readonly TimelineEvent[],
): Array<{ t0: number; t1: number | undefined; what: string }> {
  const out: Array<{ t0: number; t1: number | undefined; what: string }> = [];
  let open: { t0: number; t1: number | undefined; what: string } | undefined;
  for (const e of events) {
    if (e.k !== 'target') continue;
    if (
      !open &&
      (e.action === 'kill' || e.action === 'term' || e.action === 'exited' || e.action === 'pause')
    ) {
      open = { t0: e.t, t1: undefined, what: e.action === 'pause' ? 'paused' : 'down' };
      out.push(open);
    } else if (open && (e.action === 'start' || e.action === 'restart' || e.action === 'resume')) {
      open.t1 = e.t;
      open = undefined;
    }
  }
  return out;
}
