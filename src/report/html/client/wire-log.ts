/**
 * The wire log beside the diagram: one line per kept event (raw frame text, or the frame's fields
 * when a compact history kept no text), filterable by actor, frame type and text. Virtual like the
 * diagram: only the lines in view exist in the DOM.
 */

import type { TimelineEvent, TimelineModel } from '../model.js';
import { fieldText, h } from './dom.js';

const LINE = 18;

export interface WireLog {
  element: HTMLElement;
  highlight(indexes: ReadonlySet<number>): void;
  refresh(): void;
  /** Every filtered line (up to PRINT_LINES) at once, for printing. */
  renderAll(): void;
}

/** Lines a printout of the wire log holds at most; filter it to print others. */
const PRINT_LINES = 3000;

export function createWireLog(tl: TimelineModel, onPick: (i: number) => void): WireLog {
  const actor = h(
    'select',
    { class: 'wl-actor', 'aria-label': 'actor' },
    h('option', { value: '' }, 'all actors'),
  );
  for (const l of tl.lanes) actor.append(h('option', { value: l }, l === 'server' ? 'server / runner' : l));
  const types = [...new Set(tl.events.map(typeOf))].sort();
  const type = h(
    'select',
    { class: 'wl-type', 'aria-label': 'type' },
    h('option', { value: '' }, 'all types'),
  );
  for (const t of types) type.append(h('option', { value: t }, t));
  const search = h('input', {
    type: 'search',
    class: 'wl-search',
    placeholder: 'filter text…',
    'aria-label': 'filter text',
  });
  const count = h('span', { class: 'muted wl-count' });
  const scroller = h('div', { class: 'wl-scroll' });
  const inner = h('div', { class: 'wl-inner' });
  scroller.append(inner);
  const element = h(
    'div',
    { class: 'wirelog' },
    h('div', { class: 'toolbar' }, actor, type, search, count),
    scroller,
  );

  const lines = tl.events.map(lineOf);
  let shown: number[] = [];
  let highlighted: ReadonlySet<number> = new Set();

  const filter = () => {
    const a = actor.value;
    const ty = type.value;
    const q = search.value.trim().toLowerCase();
    shown = [];
    tl.events.forEach((e, k) => {
      if (a && laneOf(e) !== a) return;
      if (ty && typeOf(e) !== ty) return;
      if (q && !lines[k]!.toLowerCase().includes(q)) return;
      shown.push(k);
    });
    count.textContent = `${shown.length} of ${tl.events.length}`;
    draw();
  };
  let frame = 0;
  const draw = (all = false) => {
    const first = all ? 0 : Math.max(0, Math.floor(scroller.scrollTop / LINE) - 20);
    const last = all
      ? Math.min(shown.length, PRINT_LINES)
      : Math.min(shown.length, first + Math.ceil((scroller.clientHeight || 600) / LINE) + 40);
    const out: HTMLElement[] = [];
    for (let n = first; n < last; n++) {
      const e = tl.events[shown[n]!]!;
      const cls = `wl-line k-${e.k}${highlighted.has(e.i) ? ' hl' : ''}${e.k === 'fault' ? ' fault' : ''}`;
      out.push(
        h(
          'div',
          { class: cls, style: `top:${n * LINE}px`, 'data-i': e.i, title: lines[shown[n]!] },
          lines[shown[n]!],
        ),
      );
    }
    if (all && shown.length > last) {
      const more = `… ${shown.length - last} more lines: filter the wire log to print them`;
      out.push(h('div', { class: 'wl-line', style: `top:${last * LINE}px` }, more));
    }
    inner.style.height = `${(all ? Math.min(shown.length, last + 1) : shown.length) * LINE}px`;
    inner.replaceChildren(...out);
  };
  for (const el of [actor, type]) el.addEventListener('change', filter);
  search.addEventListener('input', filter);
  scroller.addEventListener('scroll', () => {
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  });
  inner.addEventListener('click', (ev) => {
    const i = (ev.target as Element).closest('[data-i]')?.getAttribute('data-i');
    if (i) onPick(Number(i));
  });
  filter();

  return {
    element,
    highlight(indexes) {
      highlighted = indexes;
      const first = shown.findIndex((k) => indexes.has(tl.events[k]!.i));
      if (first >= 0) scroller.scrollTop = Math.max(0, first * LINE - 3 * LINE);
      draw();
    },
    refresh: () => draw(),
    renderAll: () => draw(true),
  };
}

function laneOf(e: TimelineEvent): string {
  return 'actor' in e && e.actor !== undefined ? e.actor : 'server';
}

function typeOf(e: TimelineEvent): string {
  if (e.k === 'frame') return e.type;
  if (e.k === 'note') return e.kind;
  return e.k;
}

function lineOf(e: TimelineEvent): string {
  const t = `+${e.t.toFixed(3)}ms`;
  switch (e.k) {
    case 'frame': {
      const body = e.raw ?? `${fieldText(e.fields)} (fields only: raw text not kept)`;
      return `${t} ${e.actor}#${e.conn} ${e.dir === 'out' ? '→' : '←'} ${e.type} ${body}${e.invalid ? `  ✗ ${e.invalid}` : ''}`;
    }
    case 'fault':
      return `${t} ⚡ fault ${e.rule}: ${e.action}${e.actor ? ` ${e.actor}` : ''}${e.direction ? ` ${e.direction}` : ''} ${e.frame ?? ''}`;
    case 'target':
      return `${t} target ${e.action}${e.detail ? ` ${e.detail}` : ''}`;
    case 'step':
      return `${t} step ${e.index + 1}: ${e.label}`;
    case 'note':
      return `${t} ${e.text}`;
  }
}
