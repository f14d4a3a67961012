/**
 * `imspec load --report html=PATH` from a real load run against the reference server with a
 * deliberate defect (5% frame loss against --server-fault no-dedup: lost msg:As make retransmissions
 * the server stores again, a certain failure, where a kill -9 under ack-before-commit loses
 * messages only when it lands on a busy commit queue), opened
 * in Debian's headless Chromium: the time series are charted, the thresholds listed with the
 * broken one marked, latency histograms drawn, and the ledger's findings shown with their events.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, waitForView } from '../../scripts/chromium.js';
import type { LoadResult } from '../../src/load/result.js';
import { runLoad } from '../../src/load/run-load.js';
import type { ReportModel } from '../../src/report/html/index.js';

let dir: string;
let browser: Browser;
let result: LoadResult;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspec-load-html-'));
  file = join(dir, 'load.html');
  result = await runLoad({
    profile: 'profiles/steady-5pct-loss.yaml',
    durationMs: 4000,
    serverFaults: ['no-dedup'],
    reports: [`html=${file}`],
    seed: 7,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report of a load run', () => {
  it('keeps a per-second timeline whose rates add up to the run’s totals', () => {
    const tl = result.timeline!;
    // One point per progress tick (a 1 s timer in the main process) plus one at the end: at least
    // one per second of the 4 s schedule. How many drain seconds follow depends on the machine's
    // load (CI once saw 7 points where an idle machine gives 9), so the count is not pinned.
    expect(tl.t.length).toBeGreaterThanOrEqual(4);
    expect(tl.t.every((t, k) => k === 0 || t > tl.t[k - 1]!)).toBe(true);
    let sent = 0;
    let previous = 0;
    tl.t.forEach((t, k) => {
      sent += tl.achieved[k]! * (t - previous);
      previous = t;
    });
    expect(Math.round(sent)).toBe(result.counters.sent);
  });

  it('charts the series, lists the thresholds with the broken one, and shows the findings', async () => {
    const html = await readFile(file, 'utf8');
    const json = /<script type="application\/json" id="imspec-model">(.*?)<\/script>/s.exec(html)![1]!;
    const model = JSON.parse(json) as ReportModel;
    expect(model.kind).toBe('load');
    expect(result.exitCode).toBe(1);
    expect(model.cases[0]!.findings.map((f) => f.requirement)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^DEDUP-[12]$/)]),
    );

    const { page, errors } = await browser.page();
    await page.goto(pathToFileURL(file).href);
    await waitForView(page, 1);
    expect(await page.locator('section.load figure.chart.series canvas').count()).toBe(4);
    expect(await page.locator('table.thresholds tbody tr').count()).toBe(result.thresholds.length);
    expect(await page.locator('table.thresholds tr.broken').count()).toBe(
      result.thresholds.filter((t) => !t.ok).length,
    );
    expect(await page.locator('section.load figure.latency canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
