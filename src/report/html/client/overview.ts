/** The report's first page: run metadata, verdict counts, the filterable case table, requirement coverage, load charts. */

import type { CaseModel, ReportModel, ReportVerdict } from '../model.js';
import { latencyChart, loadCharts } from './charts.js';
import { h, ms } from './dom.js';

export const VERDICT_ORDER: readonly ReportVerdict[] = [
  'FAIL',
  'ERROR',
  'FLAKY',
  'WARN',
  'INCONCLUSIVE',
  'INFO',
  'XFAIL',
  'UNSUPPORTED',
  'PASS',
];

export function caseHref(c: Pick<CaseModel, 'id'>): string {
  return `#case=${encodeURIComponent(c.id)}`;
}

export function verdictBadge(v: ReportVerdict): HTMLElement {
  return h('span', { class: `verdict v-${v}` }, v);
}

export function renderOverview(model: ReportModel): HTMLElement {
  const page = h('main', { class: 'overview' }, h('h1', {}, model.title), metaTable(model));
  const countsBar = h('div', { class: 'counts' });
  page.append(countsBar);
  if (model.load) page.append(loadSection(model.load));
  if (model.cases.length > 0) page.append(...caseTable(model, countsBar));
  if (model.coverage.length > 0) page.append(coverageTable(model));
  return page;
}

function metaTable(model: ReportModel): HTMLElement {
  const m = model.meta;
  const rows: Array<[string, string | undefined]> = [
    ['target', m.target],
    ['driver', m.driver],
    ['seed', m.seed?.toString()],
    ['run id', m.runId],
    ['started', m.startedAt],
    ['duration', m.durationMs === undefined ? undefined : ms(m.durationMs)],
    ['exit code', m.exitCode?.toString()],
    ['command', m.command],
    ['imspec', m.version],
    ...Object.entries(m.extra ?? {}),
  ];
  return h(
    'table',
    { class: 'meta' },
    ...rows
      .filter((r): r is [string, string] => r[1] !== undefined)
      .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, k === 'command' ? h('code', {}, v) : v))),
  );
}

function caseTable(model: ReportModel, countsBar: HTMLElement): HTMLElement[] {
  const verdict = h(
    'select',
    { id: 'f-verdict', 'aria-label': 'verdict' },
    h('option', { value: '' }, 'every verdict'),
  );
  for (const v of VERDICT_ORDER) if (model.counts[v]) verdict.append(h('option', { value: v }, v));
  const suite = h(
    'select',
    { id: 'f-suite', 'aria-label': 'suite' },
    h('option', { value: '' }, 'every suite'),
  );
  for (const sname of [...new Set(model.cases.map((c) => c.suite))].sort())
    suite.append(h('option', { value: sname }, sname));
  const req = h(
    'select',
    { id: 'f-req', 'aria-label': 'requirement' },
    h('option', { value: '' }, 'every requirement'),
  );
  for (const row of model.coverage) req.append(h('option', { value: row.id }, row.id));
  const text = h('input', {
    id: 'f-text',
    type: 'search',
    placeholder: 'search id, title, finding…',
    'aria-label': 'search',
  });
  const shown = h('span', { class: 'muted', id: 'f-shown' });
  const body = h('tbody');
  const rows = model.cases.map((c) => {
    const tr = h(
      'tr',
      { 'data-verdict': c.verdict, 'data-suite': c.suite, 'data-case': c.id },
      h('td', {}, verdictBadge(c.verdict)),
      h('td', {}, h('a', { href: caseHref(c) }, c.id), h('div', { class: 'muted small' }, c.title)),
      h('td', {}, c.suite),
      h('td', { class: 'small' }, c.covers.join(' ')),
      h('td', { class: 'num' }, c.findings.length || ''),
      h('td', { class: 'small' }, c.reason ?? ''),
      h('td', { class: 'num' }, ms(c.durationMs)),
    );
    body.append(tr);
    const haystack = [
      c.id,
      c.title,
      c.reason ?? '',
      ...c.findings.map((f) => `${f.requirement} ${f.expected} ${f.actual}`),
    ]
      .join('\n')
      .toLowerCase();
    const reqs = new Set([...c.covers, ...c.findings.map((f) => f.requirement)]);
    return { tr, c, haystack, reqs };
  });
  const apply = () => {
    const q = text.value.trim().toLowerCase();
    let n = 0;
    for (const r of rows) {
      const ok =
        (!verdict.value || r.c.verdict === verdict.value) &&
        (!suite.value || r.c.suite === suite.value) &&
        (!req.value || r.reqs.has(req.value)) &&
        (!q || r.haystack.includes(q));
      r.tr.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = `${n} of ${rows.length} cases`;
  };
  for (const el of [verdict, suite, req]) el.addEventListener('change', apply);
  text.addEventListener('input', apply);
  for (const v of VERDICT_ORDER) {
    const n = model.counts[v];
    if (!n) continue;
    const chip = h('button', { type: 'button', class: `chip v-${v}`, 'data-verdict': v }, `${v} ${n}`);
    chip.addEventListener('click', () => {
      verdict.value = verdict.value === v ? '' : v;
      apply();
    });
    countsBar.append(chip);
  }
  apply();
  const head = h(
    'tr',
    {},
    ...['verdict', 'case', 'suite', 'covers', 'findings', 'reason', 'time'].map((t) => h('th', {}, t)),
  );
  return [
    h('h2', {}, 'Cases'),
    h('div', { class: 'filters toolbar' }, verdict, suite, req, text, shown),
    h('table', { class: 'cases' }, h('thead', {}, head), body),
  ];
}

function coverageTable(model: ReportModel): HTMLElement {
  const body = h('tbody');
  for (const row of model.coverage) {
    body.append(
      h(
        'tr',
        { 'data-req': row.id },
        h('td', {}, h('code', {}, row.id)),
        h('td', {}, row.level ?? ''),
        h('td', { class: 'small' }, row.summary),
        h(
          'td',
          { class: 'small' },
          ...row.cases.flatMap((id) => [h('a', { href: caseHref({ id }) }, id), ' ']),
        ),
        h('td', { class: 'num' }, row.findings || ''),
        h('td', {}, row.worst ? verdictBadge(row.worst) : 'not run'),
      ),
    );
  }
  return h(
    'section',
    { class: 'coverage' },
    h('h2', {}, 'Requirement coverage'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['requirement', 'level', 'statement', 'cases', 'findings', 'worst'].map((t) => h('th', {}, t)),
        ),
      ),
      body,
    ),
  );
}

function loadSection(load: NonNullable<ReportModel['load']>): HTMLElement {
  const thresholds = h(
    'table',
    { class: 'thresholds' },
    h('thead', {}, h('tr', {}, ...['metric', 'condition', 'actual', 'result'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...load.thresholds.map((th) =>
        h(
          'tr',
          { class: th.ok ? 'ok' : 'broken' },
          h('td', {}, h('code', {}, th.metric)),
          h('td', {}, h('code', {}, th.condition)),
          h('td', {}, th.actual),
          h('td', {}, verdictBadge(th.ok ? 'PASS' : 'FAIL')),
        ),
      ),
    ),
  );
  const totals = h(
    'table',
    { class: 'totals' },
    ...Object.entries(load.totals).map(([k, v]) =>
      h('tr', {}, h('th', {}, k), h('td', { class: 'num' }, v.toLocaleString('en'))),
    ),
  );
  return h(
    'section',
    { class: 'load' },
    h('h2', {}, 'Load'),
    h('div', { class: 'charts' }, ...loadCharts(load)),
    h(
      'div',
      { class: 'two' },
      h('div', {}, h('h3', {}, 'Thresholds'), thresholds),
      h('div', {}, h('h3', {}, 'Totals'), totals),
    ),
    load.latency.length > 0 ? h('div', { class: 'charts' }, ...load.latency.map(latencyChart)) : null,
  );
}
