/**
 * The report page's entry: reads the model inlined in the page, shows the overview or one case
 * (`#case=<id>`), and marks its own rendering work with the Performance API
 * (`imspec:script` when this script starts; `imspec:view` measures building and drawing a view;
 * `imspec:painted` is set after the next frame), which the browser tests read.
 */

import { REPORT_MODEL_VERSION, type ReportModel } from '../model.js';
import { type CaseView, renderCase } from './case-view.js';
import { h } from './dom.js';
import { renderOverview } from './overview.js';

function start(): void {
  // Everything before this mark is the browser reading the file (HTML, inline model, uPlot).
  performance.mark('imspec:script');
  const app = document.getElementById('app')!;
  const source = document.getElementById('imspec-model')!.textContent ?? '';
  const model = JSON.parse(source) as ReportModel;
  if (model.version !== REPORT_MODEL_VERSION) {
    app.replaceChildren(
      h('p', { class: 'error' }, `This page cannot read report model version ${model.version}.`),
    );
    return;
  }
  document.title = model.title;
  let current: CaseView | undefined;
  let views = 0;
  const route = () => {
    performance.mark('imspec:view-start');
    const id = /^#case=(.*)$/.exec(location.hash)?.[1];
    const c = id === undefined ? undefined : model.cases.find((x) => x.id === decodeURIComponent(id));
    current = c ? renderCase(c) : undefined;
    app.replaceChildren(current ? current.element : renderOverview(model));
    current?.mounted();
    window.scrollTo(0, 0);
    performance.mark('imspec:view-end');
    performance.measure('imspec:view', 'imspec:view-start', 'imspec:view-end');
    const n = ++views;
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        performance.mark('imspec:painted');
        document.body.dataset['view'] = `${n}:${c ? c.id : 'overview'}`;
      }),
    );
  };
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeprint', () => current?.beforePrint());
  route();
}

start();
