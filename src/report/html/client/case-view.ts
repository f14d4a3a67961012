/**
 * One case: verdict and replay command, its findings (click one: the frames that prove it light up
 * in the diagram and the wire log and scroll into view; "zoom" shows only those frames and their
 * neighbours), the sequence diagram beside the wire log, ledger figures and latency histograms.
 */

import type { CaseModel, FindingModel } from '../model.js';
import { latencyChart } from './charts.js';
import { createDiagram, type Diagram } from './diagram.js';
import { h, ms } from './dom.js';
import { verdictBadge } from './overview.js';
import { createWireLog, type WireLog } from './wire-log.js';

export interface CaseView {
  element: HTMLElement;
  /** Called once the element is in the page (the diagram measures its width). */
  mounted(): void;
  beforePrint(): void;
}

export function renderCase(c: CaseModel): CaseView {
  const page = h(
    'main',
    { class: 'case', 'data-case': c.id },
    h(
      'header',
      { class: 'case-head' },
      h('a', { href: '#', class: 'back' }, '← all cases'),
      h('h1', {}, verdictBadge(c.verdict), ' ', c.id, h('span', { class: 'muted title' }, ` — ${c.title}`)),
      c.reason ? h('p', { class: 'reason' }, c.reason) : null,
      caseFacts(c),
    ),
  );
  let diagram: Diagram | undefined;
  let wire: WireLog | undefined;
  const evidence = new Set(c.findings.flatMap((f) => [...f.evidence, ...f.faults]));
  if (c.timeline) {
    diagram = createDiagram(c.timeline, evidence);
    const d = diagram;
    wire = createWireLog(c.timeline, (i) => d.highlight(new Set([i]), true));
  }
  const findings = c.findings.length > 0 ? findingList(c.findings, diagram, wire) : null;
  if (diagram && wire) {
    page.append(
      h(
        'section',
        { class: 'panes' },
        h('div', { class: 'pane-diagram' }, h('h2', {}, 'Sequence'), diagram.element),
        h('div', { class: 'pane-side' }, findings, h('div', {}, h('h2', {}, 'Wire log'), wire.element)),
      ),
    );
  } else {
    page.append(
      ...(findings ? [findings] : []),
      h(
        'p',
        { class: 'muted' },
        'No history was kept for this case (it did not run, or the kit could not run it).',
      ),
    );
    if (c.wireLog.length > 0) page.append(h('pre', { class: 'excerpt' }, c.wireLog.join('\n')));
  }
  if (c.stats) page.append(statsTable(c.stats));
  if (c.latency.length > 0)
    page.append(
      h('section', {}, h('h2', {}, 'Latency'), h('div', { class: 'charts' }, ...c.latency.map(latencyChart))),
    );
  return {
    element: page,
    mounted() {
      diagram?.refresh();
      wire?.refresh();
    },
    beforePrint() {
      diagram?.renderAll();
      wire?.renderAll();
    },
  };
}

function caseFacts(c: CaseModel): HTMLElement {
  const facts: Array<[string, Node | string]> = [
    ['suite', c.suite],
    ['file', c.file],
    ['severity', c.severity],
    ['covers', c.covers.join(', ')],
    ['seed', String(c.seed)],
    ['duration', ms(c.durationMs)],
    ['replay', h('code', { class: 'replay' }, c.replay)],
  ];
  for (const r of c.replays ?? []) facts.push(['failing run', h('code', {}, r)]);
  return h('div', { class: 'facts' }, ...facts.map(([k, v]) => h('span', {}, h('b', {}, k), v)));
}

function findingList(
  findings: readonly FindingModel[],
  diagram: Diagram | undefined,
  wire: WireLog | undefined,
): HTMLElement {
  const list = h('ol', { class: 'findings' });
  findings.forEach((f, k) => {
    const frames = new Set([...f.evidence, ...f.faults]);
    const zoom = h('button', { type: 'button', class: 'zoom' }, 'zoom');
    const li = h(
      'li',
      { class: `finding l-${f.level}`, 'data-finding': k, tabindex: 0 },
      h(
        'div',
        {},
        h('strong', {}, f.requirement),
        ` (${f.level}) ${f.kind}`,
        f.cmid ? h('span', { class: 'muted' }, ` cmid=${f.cmid}`) : null,
        ' ',
        zoom,
      ),
      h('div', { class: 'small' }, 'expected: ', f.expected),
      h('div', { class: 'small' }, 'actual: ', f.actual),
      h(
        'div',
        { class: 'muted small' },
        `${f.evidence.length} evidence event${f.evidence.length === 1 ? '' : 's'}`,
        f.faults.length > 0
          ? `, ${f.faults.length} injected fault${f.faults.length === 1 ? '' : 's'} on this message`
          : '',
        diagram ? ' — click to show them' : '',
      ),
    );
    const select = (focus: boolean) => {
      for (const other of list.querySelectorAll('.selected')) other.classList.remove('selected');
      li.classList.add('selected');
      diagram?.focus(focus ? frames : undefined);
      diagram?.highlight(frames, true);
      wire?.highlight(frames);
    };
    li.addEventListener('click', (ev) => {
      if (ev.target !== zoom) select(false);
    });
    li.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') select(false);
    });
    zoom.addEventListener('click', () => select(true));
    list.append(li);
  });
  return h(
    'section',
    {},
    h('h2', {}, `Findings (${findings.length})`),
    h('div', { class: 'findings-box' }, list),
  );
}

function statsTable(stats: Record<string, number>): HTMLElement {
  const entries = Object.entries(stats);
  return h(
    'section',
    {},
    h('h2', {}, 'Ledger'),
    h(
      'table',
      { class: 'stats' },
      h('tr', {}, ...entries.map(([k]) => h('th', {}, k))),
      h('tr', {}, ...entries.map(([, v]) => h('td', { class: 'num' }, v))),
    ),
  );
}
