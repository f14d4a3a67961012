import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { ConsoleReporter } from '../../src/report/console.js';
import { HtmlReporter, type ReportModel } from '../../src/report/html/index.js';
import { combineReporters, createReporters, type FileReporter } from '../../src/report/reporters.js';
import type { Reporter } from '../../src/report/types.js';
import { sampleRun } from './fixtures.js';
import { all, parseXml } from './tiny-xml.js';

const sink = {
  text: '',
  write(s: string) {
    this.text += s;
  },
};

describe('createReporters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-reporters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the console reporter when no spec is given', () => {
    const reporters = createReporters([], sink);
    expect(reporters).toHaveLength(1);
    expect(reporters[0]).toBeInstanceOf(ConsoleReporter);
  });

  it('parses console, json=PATH and junit=PATH together', () => {
    const reporters = createReporters(['console', `json=${dir}/r.json`, `junit=${dir}/r.xml`], sink);
    expect(reporters.map((r) => r.constructor.name)).toEqual([
      'ConsoleReporter',
      'FileReporter',
      'FileReporter',
    ]);
    expect((reporters[2] as FileReporter).path).toBe(`${dir}/r.xml`);
  });

  it.each([
    ['junti=out.xml', 'unknown reporter "junti" in --report junti=out.xml (did you mean "junit"?)'],
    ['htlm=out.html', 'unknown reporter "htlm" in --report htlm=out.html (did you mean "html"?)'],
    ['html', 'reporter "html" needs a file: --report html=PATH'],
    ['json', 'reporter "json" needs a file: --report json=PATH'],
    ['junit=', 'reporter "junit" needs a file'],
    ['console=out.txt', 'reporter "console" takes no file'],
  ])('refuses --report %s with a hint', (spec, message) => {
    let error: unknown;
    try {
      createReporters([spec], sink);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain(message);
    expect((error as UsageError).exitCode).toBe(2);
  });

  it('refuses two reporters writing the same file', () => {
    expect(() => createReporters(['json=a.out', 'junit=a.out'], sink)).toThrow(
      'two reporters write to a.out',
    );
  });

  it('writes a JUnit file that parses back with the run counts', async () => {
    const path = join(dir, 'ci', 'junit.xml');
    const [reporter] = createReporters([`junit=${path}`], sink);
    await reporter!.onRunEnd!(sampleRun());
    const root = parseXml(readFileSync(path, 'utf8'));
    expect(all(root, 'testcase')).toHaveLength(6);
  });
});

describe('the html reporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-html-reporter-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws the history it was given for each case and writes one page with the run inlined', async () => {
    const path = join(dir, 'site', 'index.html');
    const [reporter] = createReporters([`html=${path}`], sink, { command: 'imspec run x' });
    expect(reporter).toBeInstanceOf(HtmlReporter);
    const run = sampleRun();
    const failing = run.cases.find((c) => c.verdict === 'FAIL')!;
    const events: HistoryEvent[] = [
      { kind: 'step', t: 0, index: 0, label: 'send' },
      { kind: 'send', t: 1, actor: 'alice/phone', cmid: 'c1', to: 'bob', body: 'hi' },
    ];
    reporter!.onCaseHistory!({ result: failing, events });
    await reporter!.onRunEnd!(run);
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const json = /<script type="application\/json" id="imspec-model">(.*?)<\/script>/s.exec(html)![1]!;
    const model = JSON.parse(json) as ReportModel;
    expect(model.meta.command).toBe('imspec run x');
    expect(model.cases.map((c) => c.id)).toEqual(run.cases.map((c) => c.id));
    const drawn = model.cases.filter((c) => c.timeline !== undefined);
    expect(drawn.map((c) => c.id)).toEqual([failing.id]);
    expect(drawn[0]!.timeline!.events.map((e) => e.k)).toEqual(['step', 'note']);
    // Nothing on the page refers to anything outside it.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });
});

describe('the html reporter with --repeat', () => {
  it('keeps the diagram of the run the case result stands for and drops the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imspec-html-repeat-'));
    const path = join(dir, 'index.html');
    const reporter = new HtmlReporter(path);
    const run = sampleRun();
    const c = run.cases[0]!;
    const history = (label: string): HistoryEvent[] => [{ kind: 'step', t: 0, index: 0, label }];
    reporter.onCaseHistory({ result: { ...c, seed: 1 }, events: history('first run') });
    reporter.onCaseHistory({ result: { ...c, seed: 2 }, events: history('second run') });
    expect(reporter.heldDiagrams).toBe(2);
    reporter.onCaseResult({ ...c, seed: 2 });
    expect(reporter.heldDiagrams).toBe(1);
    await reporter.onRunEnd({ ...run, cases: [{ ...c, seed: 2 }] });
    const html = readFileSync(path, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(html).toContain('second run');
    expect(html).not.toContain('first run');
  });
});

describe('combineReporters', () => {
  it('forwards every hook in order and waits for every onRunEnd, then rethrows the first failure', async () => {
    const calls: string[] = [];
    const recorder = (name: string): Reporter => ({
      onRunStart: () => {
        calls.push(`${name}:start`);
      },
      onCaseStart: () => {
        calls.push(`${name}:case-start`);
      },
      onCaseHistory: () => {
        calls.push(`${name}:history`);
      },
      onCaseResult: () => {
        calls.push(`${name}:case`);
      },
      onRunEnd: async () => {
        await Promise.resolve();
        calls.push(`${name}:end`);
      },
    });
    const failing: Reporter = {
      onRunEnd: async () => {
        throw new Error('disk full');
      },
    };
    const combined = combineReporters([recorder('a'), failing, recorder('b'), {}]);
    const run = sampleRun();
    combined.onRunStart({ runId: 'r', target: 't', driver: 'ran', total: 1 });
    combined.onCaseStart({ id: 'x', index: 0, total: 1 });
    combined.onCaseHistory({ result: run.cases[0]!, events: [] });
    combined.onCaseResult(run.cases[0]!);
    await expect(combined.onRunEnd(run)).rejects.toThrow('disk full');
    expect(calls).toEqual([
      'a:start',
      'b:start',
      'a:case-start',
      'b:case-start',
      'a:history',
      'b:history',
      'a:case',
      'b:case',
      'a:end',
      'b:end',
    ]);
  });
});
