/**
 * The HTML report in a real browser (Debian's headless Chromium through playwright-core), from
 * real runs against the reference server: a deliberate server defect (--server-fault no-dedup),
 * a case whose proxy drops a frame, a kill -9 case, and a ~10,000-frame case.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, waitForView } from '../../../scripts/chromium.js';
import { syntheticLoadReport } from '../../../scripts/screenshots-data.js';
import { HtmlReporter, type ReportModel, writeHtmlReport } from '../../../src/report/index.js';
import { runSuites } from '../../../src/runner/run.js';

let dir: string;
let browser: Browser;
let runPage: string;
let model: ReportModel;

async function open(url: string, hash = ''): Promise<{ page: Page; errors: string[] }> {
  const opened = await browser.page();
  await opened.page.goto(`${url}${hash}`);
  await waitForView(opened.page, 1);
  return opened;
}

async function readModel(file: string): Promise<ReportModel> {
  const html = await readFile(file, 'utf8');
  const json = /<script type="application\/json" id="imspec-model">(.*?)<\/script>/s.exec(html)![1]!;
  return JSON.parse(json) as ReportModel;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspec-html-'));
  const file = join(dir, 'run', 'index.html');
  await runSuites(
    {
      paths: [
        'suites/faults/lost-msg-a.yaml',
        'suites/core/happy-six-frames.yaml',
        'suites/core/durability-kill-9.yaml',
      ],
      serverFaults: ['no-dedup'],
      seed: 7,
      minimize: false,
    },
    { reporters: [new HtmlReporter(file, { command: 'imspec run … --server-fault no-dedup' })] },
  );
  runPage = pathToFileURL(file).href;
  model = await readModel(file);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report of a run against a broken server', () => {
  it('opens from disk with no network, no console errors, and counts every verdict', async () => {
    const { page, errors } = await open(runPage);
    const chips = await page.$$eval('.counts .chip', (els) => els.map((e) => e.textContent));
    const expected = Object.entries(model.counts).map(([v, n]) => `${v} ${n}`);
    expect(chips.sort()).toEqual(expected.sort());
    expect(await page.$$eval('table.cases tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.textContent('table.meta')).toContain('no-dedup');
    expect(await page.$$eval('.coverage tbody tr', (rows) => rows.length)).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('filters the case table by verdict, suite, requirement and free text', async () => {
    const { page, errors } = await open(runPage);
    const visible = () =>
      page.$$eval('table.cases tbody tr', (rows) =>
        rows.filter((r) => !r.hasAttribute('hidden')).map((r) => r.getAttribute('data-case')),
      );
    await page.selectOption('#f-verdict', 'FAIL');
    expect(await visible()).toEqual(model.cases.filter((c) => c.verdict === 'FAIL').map((c) => c.id));
    await page.selectOption('#f-verdict', '');
    await page.selectOption('#f-suite', 'faults');
    expect(await visible()).toEqual(['lost-msg-a']);
    await page.selectOption('#f-suite', '');
    await page.selectOption('#f-req', 'DUR-1');
    expect(await visible()).toEqual(['durability-kill-9']);
    await page.selectOption('#f-req', '');
    await page.fill('#f-text', 'HAPPY-six');
    expect(await visible()).toEqual(['happy-six-frames']);
    await page.fill('#f-text', 'no such case anywhere');
    expect(await visible()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('draws the frame the proxy dropped as a lost arrow, and a finding lights up its frames', async () => {
    const failing = model.cases.find((c) => c.id === 'lost-msg-a')!;
    expect(failing.verdict).toBe('FAIL');
    // The proxy dropped alice's first msg:A: a server→client frame she never saw.
    const drop = failing.timeline!.events.find((e) => e.k === 'fault' && e.action === 'drop')!;
    expect(drop).toMatchObject({ k: 'fault', direction: 'to-client', type: 'msg:A' });
    // The finding about that message (no-dedup stored the retransmission again) links to the drop.
    const k = failing.findings.findIndex((f) => f.faults.includes(drop.i));
    expect(k).toBeGreaterThanOrEqual(0);
    const f = failing.findings[k]!;

    const { page, errors } = await open(runPage, '#case=lost-msg-a');
    await page.click(`.finding[data-finding="${k}"]`);
    const lost = page.locator(`svg.seq line.lost[data-i="${drop.i}"][data-fault="drop"]`);
    await expect.poll(() => lost.count()).toBe(1);
    expect(await lost.getAttribute('class')).toContain('hl');
    for (const i of f.evidence) {
      expect(await page.locator(`svg.seq [data-i="${i}"].hl`).count(), `evidence event ${i}`).toBeGreaterThan(
        0,
      );
    }
    // Scrolled into view inside the diagram's scroller.
    const scroller = (await page.locator('.seq-scroll').boundingBox())!;
    const arrow = (await lost.boundingBox())!;
    expect(arrow.y).toBeGreaterThanOrEqual(scroller.y);
    expect(arrow.y).toBeLessThanOrEqual(scroller.y + scroller.height);
    expect(await page.locator('.wl-line.hl').count()).toBeGreaterThan(0);
    expect(await page.textContent('svg.seq')).toContain('dropped (lose-accept)');

    // Zoom: only the finding's frames and their neighbours, the rest folded.
    await page.click(`.finding[data-finding="${k}"] button.zoom`);
    await expect.poll(() => page.locator('svg.seq [data-fold]').count()).toBeGreaterThan(0);
    expect(await page.locator(`svg.seq [data-i="${drop.i}"].hl`).count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('prints a case whole: every row of the diagram and every wire-log line', async () => {
    const c = model.cases.find((x) => x.id === 'lost-msg-a')!;
    const { page, errors } = await open(runPage, '#case=lost-msg-a');
    await page.emulateMedia({ media: 'print' });
    await page.evaluate(`window.dispatchEvent(new Event('beforeprint'))`);
    const events = c.timeline!.events;
    // One time label per event row; the diagram of a small case folds nothing.
    expect(await page.locator('svg.seq text.time').count()).toBe(events.length);
    expect(await page.locator('.wl-line').count()).toBe(events.length);
    expect(await page.locator('.toolbar').first().isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('shades the time the server was down after its kill -9 across every lane', async () => {
    const c = model.cases.find((x) => x.id === 'durability-kill-9')!;
    const kill = c.timeline!.events.find((e) => e.k === 'target' && e.action === 'kill')!;
    expect(kill).toBeDefined();
    const { page, errors } = await open(runPage, '#case=durability-kill-9');
    await page.selectOption('.wl-type', 'target');
    await page.click(`.wl-line[data-i="${kill.i}"]`);
    await expect.poll(() => page.locator(`svg.seq line.target.down[data-i="${kill.i}"]`).count()).toBe(1);
    expect(await page.locator('svg.seq rect.band.down').count()).toBe(1);
    expect(await page.textContent('svg.seq')).toContain('server kill -9');
    // The wire log filter shows target events only.
    const types = await page.$$eval('.wl-line', (els) => els.map((e) => e.textContent ?? ''));
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t.includes(' target '))).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('the HTML report of big and load runs', () => {
  it('renders a 10,000-frame case well under its 2 s goal (the page’s own performance marks)', async () => {
    const file = join(dir, 'big', 'index.html');
    await runSuites(
      { paths: ['test/report/html/fixtures/big-burst.yaml'], seed: 11, minimize: false },
      { reporters: [new HtmlReporter(file)] },
    );
    const big = (await readModel(file)).cases[0]!;
    const frames = big.timeline!.events.filter((e) => e.k === 'frame').length;
    expect(frames).toBeGreaterThanOrEqual(10_000);
    const { page, errors } = await open(pathToFileURL(file).href, '#case=big-burst');
    const timing = (await page.evaluate(`({
      view: performance.getEntriesByName('imspec:view')[0].duration,
      painted: performance.getEntriesByName('imspec:painted')[0].startTime,
      script: performance.getEntriesByName('imspec:script')[0].startTime,
    })`)) as { view: number; painted: number; script: number };
    console.log(
      `${frames}-frame case: view built and drawn in ${timing.view.toFixed(0)} ms; painted ${timing.painted.toFixed(0)} ms after navigation, of which ${timing.script.toFixed(0)} ms reading the file before the page's script ran (goal 2000 ms; shared machine)`,
    );
    // Rendering work only, and far beyond the goal: a regression, not a slow moment on a busy machine.
    expect(timing.view).toBeLessThan(10_000);
    expect(await page.locator('svg.seq line.arrow').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.seq [data-fold]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('charts a load run’s time series and lists its thresholds', async () => {
    const file = join(dir, 'load', 'index.html');
    await writeHtmlReport(file, syntheticLoadReport());
    const { page, errors } = await open(pathToFileURL(file).href);
    expect(await page.locator('section.load figure.chart.series canvas').count()).toBe(4);
    expect(await page.locator('table.thresholds tbody tr').count()).toBe(4);
    expect(await page.locator('table.thresholds tr.broken').count()).toBe(1);
    expect(await page.locator('section.load figure.latency canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
