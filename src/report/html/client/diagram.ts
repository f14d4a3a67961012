/**
 * The sequence diagram of one case: lanes across (each actor and the server), time down, drawn as
 * SVG for the rows in view only, so a case of 10,000 frames (or 20,000 kept events of a bigger
 * one) scrolls as smoothly as one of ten. Folds, highlights and zooming re-lay the rows.
 */

import type { FaultModel, TimelineModel } from '../model.js';
import { h, s } from './dom.js';
import { downBands, drawRow, type Geometry, GUTTER, geometry } from './draw.js';
import { alwaysShown, buildRows, firstRowAt, type Layout, layout, yAt } from './layout.js';

export interface Diagram {
  element: HTMLElement;
  /** Marks these history indexes (a finding's evidence) and scrolls the first into view. */
  highlight(indexes: ReadonlySet<number>, scroll: boolean): void;
  /** Shows only the rows around `indexes` (zoom to a finding); undefined shows everything. */
  focus(indexes: ReadonlySet<number> | undefined): void;
  scrollTo(i: number): void;
  /** Draws the rows in view (after the element joined the page, or it changed size). */
  refresh(): void;
  /** Every row at once (printing). */
  renderAll(): void;
}

/** Rows drawn beyond the visible area on each side, in pixels. */
const OVERSCAN = 600;
/** Cases with more events than this start folded. */
const FOLD_ABOVE = 300;

export function createDiagram(tl: TimelineModel, evidence: ReadonlySet<number>): Diagram {
  const faults = new Map<number, FaultModel>();
  for (const e of tl.events) if (e.k === 'fault') faults.set(e.i, e);
  const base = alwaysShown(tl);
  for (const i of evidence) base.add(i);
  const expanded = new Set<number>();
  let fold = tl.events.length > FOLD_ABOVE;
  let focused: ReadonlySet<number> | undefined;
  let highlighted: ReadonlySet<number> = new Set();
  let lay: Layout = relayout();

  const foldBox = h('input', { type: 'checkbox', class: 'fold-toggle' });
  foldBox.checked = fold;
  const focusNote = h('span', { class: 'focus-note' });
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('label', {}, foldBox, ' fold repeated exchanges'),
    focusNote,
    h('span', { class: 'muted' }, summary()),
  );
  const header = h('div', { class: 'lanes' });
  const svg = s('svg', { class: 'seq' });
  const inner = h('div', { class: 'seq-inner' });
  inner.append(svg);
  const scroller = h('div', { class: 'seq-scroll', tabindex: 0 });
  scroller.append(inner);
  const element = h('div', { class: 'diagram' }, toolbar, header, scroller);

  let g: Geometry | undefined;
  let frame = 0;
  const schedule = () => {
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  };
  scroller.addEventListener('scroll', schedule);
  new ResizeObserver(() => draw()).observe(scroller);
  foldBox.addEventListener('change', () => {
    fold = foldBox.checked;
    lay = relayout();
    draw();
  });
  svg.addEventListener('click', (ev) => {
    const target = (ev.target as Element).closest('[data-fold]');
    if (!target) return;
    expanded.add(Number(target.getAttribute('data-fold')));
    lay = relayout();
    draw();
  });

  function relayout(): Layout {
    if (focused) return layout(buildRows(tl, focused, { fold: true, context: 6, minRun: 3, expanded }));
    return layout(buildRows(tl, base, { fold, context: 8, minRun: 24, expanded }));
  }

  function summary(): string {
    const frames = tl.events.filter((e) => e.k === 'frame').length;
    const left = tl.omitted.reduce((n, r) => n + r.count, 0);
    const parts = [`${tl.total} events, ${frames} frames shown`];
    if (left > 0) parts.push(`${left} events left out of this report (see grey bars)`);
    if (tl.withoutRaw > 0) parts.push(`${tl.withoutRaw} frames without raw text (compact history)`);
    return ` ${parts.join('; ')}`;
  }

  function draw(all = false): void {
    const width = Math.max(scroller.clientWidth, 400);
    g = geometry(tl.lanes, width, lay, faults, highlighted);
    inner.style.height = `${lay.height}px`;
    inner.style.width = `${g.width}px`;
    svg.setAttribute('width', String(g.width));
    drawHeader(g);
    const top = all ? 0 : Math.max(0, scroller.scrollTop - OVERSCAN);
    const bottom = all ? lay.height : scroller.scrollTop + scroller.clientHeight + OVERSCAN;
    svg.style.top = `${top}px`;
    svg.setAttribute('height', String(Math.max(1, bottom - top)));
    svg.setAttribute('viewBox', `0 ${top} ${g.width} ${Math.max(1, bottom - top)}`);
    const parts: SVGElement[] = [defs()];
    for (const band of downBands(tl.events)) {
      const y0 = yAt(lay, band.t0);
      const y1 = band.t1 === undefined ? lay.height : yAt(lay, band.t1);
      if (y1 < top || y0 > bottom) continue;
      parts.push(
        s('rect', {
          x: GUTTER,
          y: y0,
          width: g.width - GUTTER,
          height: Math.max(2, y1 - y0),
          class: `band ${band.what}`,
        }),
      );
    }
    for (const x of g.laneX.values())
      parts.push(s('line', { x1: x, x2: x, y1: top, y2: bottom, class: 'lane' }));
    for (let r = firstRowAt(lay, top); r < lay.rows.length; r++) {
      const row = lay.rows[r]!;
      if (row.y > bottom) break;
      parts.push(...drawRow(row, g));
    }
    svg.replaceChildren(...parts);
  }

  function drawHeader(geo: Geometry): void {
    header.style.width = `${geo.width}px`;
    header.replaceChildren(
      ...tl.lanes.map((l) =>
        h(
          'div',
          {
            class: `lane-name${l === 'server' ? ' server' : ''}`,
            style: `left:${(geo.laneX.get(l) ?? 0) - 75}px`,
          },
          l,
        ),
      ),
    );
  }

  function scrollTo(i: number): void {
    let row = lay.rowOf.get(i);
    if (row === undefined) {
      // Folded away: open the fold that holds it.
      const k = tl.events.findIndex((e) => e.i === i);
      const fold = lay.rows.find((r) => r.r === 'folded' && k >= r.start && k < r.start + r.count);
      if (fold?.r === 'folded') expanded.add(fold.start);
      lay = relayout();
      row = lay.rowOf.get(i);
    }
    if (row !== undefined) scroller.scrollTop = Math.max(0, lay.rows[row]!.y - scroller.clientHeight / 3);
    draw();
  }

  return {
    element,
    highlight(indexes, scroll) {
      highlighted = indexes;
      const first = [...indexes].sort((a, b) => a - b)[0];
      if (scroll && first !== undefined) scrollTo(first);
      else draw();
    },
    focus(indexes) {
      focused = indexes;
      focusNote.textContent = indexes
        ? ' zoomed to the finding (showing only its frames and their neighbours) '
        : '';
      if (indexes) focusNote.append(h('button', { type: 'button', class: 'unzoom' }, 'show all'));
      focusNote.querySelector('button')?.addEventListener('click', () => this.focus(undefined));
      lay = relayout();
      draw();
    },
    scrollTo,
    refresh: () => draw(),
    renderAll: () => draw(true),
  };
}

function defs(): SVGElement {
  return s(
    'defs',
    {},
    s(
      'marker',
      {
        id: 'arr',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 8,
        markerHeight: 8,
        markerUnits: 'userSpaceOnUse',
        orient: 'auto-start-reverse',
      },
      s('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' }),
    ),
  );
}
