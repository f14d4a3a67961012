/**
 * `npm run screenshots`: regenerates the HTML report pictures in docs/img/ from a real failing
 * run (suites/faults/lost-msg-a.yaml against the reference server with --fault no-dedup: the proxy
 * drops a msg:A, the server stores the retransmission twice) and a real load run
 * (profiles/server-kill.yaml with --server-fault ack-before-commit: the kill -9 mid-load loses
 * acknowledged messages, so the page shows a broken threshold and DUR-1 findings).
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runLoad } from '../src/load/run-load.js';
import { HtmlReporter, type ReportModel } from '../src/report/index.js';
import { runSuites } from '../src/runner/run.js';
import { scriptArgs } from './args.js';
import { launchChromium, waitForView } from './chromium.js';

// No options: a typo must not regenerate the pictures.
scriptArgs('screenshots', 'npm run screenshots', {});

const OUT = 'docs/img';

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'imspec-shots-'));
  await mkdir(OUT, { recursive: true });
  const browser = await launchChromium({ width: 1440, height: 900 });
  try {
    const runFile = join(work, 'run.html');
    await runSuites(
      { paths: ['suites/faults/lost-msg-a.yaml'], serverFaults: ['no-dedup'], seed: 1, minimize: false },
      {
        reporters: [
          new HtmlReporter(runFile, {
            command: 'imspec run suites/faults/lost-msg-a.yaml --server-fault no-dedup --seed 1',
          }),
        ],
      },
    );
    const { page, errors } = await browser.page();
    await page.goto(`${pathToFileURL(runFile).href}#case=lost-msg-a`);
    await waitForView(page, 1);
    // The finding tied to the dropped frame, selected: its frames highlighted in the diagram.
    const model = (await page.evaluate(
      `JSON.parse(document.getElementById('imspec-model').textContent)`,
    )) as ReportModel;
    const k = model.cases[0]!.findings.findIndex((f) => f.faults.length > 0);
    await page.click(`.finding[data-finding="${Math.max(0, k)}"]`);
    await page.screenshot({ path: join(OUT, 'report-case.png') });
    await page.goto(pathToFileURL(runFile).href);
    await waitForView(page, 1);
    await page.screenshot({ path: join(OUT, 'report-overview.png') });

    const loadFile = join(work, 'load.html');
    await runLoad({
      profile: 'profiles/server-kill.yaml',
      serverFaults: ['ack-before-commit'],
      reports: [`html=${loadFile}`],
      seed: 7,
    });
    await page.goto(pathToFileURL(loadFile).href);
    await waitForView(page, 1);
    await page.screenshot({ path: join(OUT, 'report-load.png'), fullPage: true });
    if (errors.length > 0) throw new Error(`the report pages logged errors:\n${errors.join('\n')}`);
    process.stdout.write(`wrote ${OUT}/report-case.png, report-overview.png, report-load.png\n`);
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
