import { describe, expect, it } from 'vitest';
import { ConsoleReporter, renderCase } from '../../src/report/console.js';
import { formatElapsed, summaryLine } from '../../src/report/format.js';
import { caseResult, finding, sampleRun } from './fixtures.js';

class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** Drives a reporter the way the runner does: start, then each case's start and result, then end. */
function drive(reporter: ConsoleReporter): void {
  const run = sampleRun();
  reporter.onRunStart({ runId: run.runId, target: run.target, driver: run.driver, total: run.cases.length });
  run.cases.forEach((c, index) => {
    reporter.onCaseStart({ id: c.id, index, total: run.cases.length });
    reporter.onCaseResult(c);
  });
  reporter.onRunEnd(run);
}

const ESC = '\x1b';

describe('ConsoleReporter', () => {
  it('writes a plain table without ANSI or progress lines when not a TTY', () => {
    const out = new Capture(false);
    drive(new ConsoleReporter(out));
    expect(out.text).not.toContain(ESC);
    expect(out.text).not.toContain('\r');
    const lines = out.text.split('\n');
    expect(lines[0]).toBe('imspec run run-1: 6 cases against ws://127.0.0.1:7000 (driver ran)');
    expect(lines).toContain(` PASS   ${'hello-count-first'.padEnd(44)}   120 ms`);
    expect(lines).toContain(
      ` UNSUP  ${'multi-device-cursors'.padEnd(44)}     0 ms  target does not claim multi-device`,
    );
    expect(lines).toContain(` XFAIL  ${'sync-paging'.padEnd(44)}   120 ms  known: server pages off by one`);
    expect(lines.at(-2)).toBe('1 passed, 1 failed, 1 errored, 1 warned, 1 unsupported, 1 xfailed (31.2 s)');
  });

  it('shows requirement, expected, actual, wire log and replay under a failing case', () => {
    const out = new Capture(false);
    drive(new ConsoleReporter(out));
    const start = out.text.indexOf(' FAIL ');
    const block = out.text.slice(start, out.text.indexOf(' WARN ')).split('\n');
    expect(block.slice(1, -1)).toEqual([
      '        DEDUP-2 (MUST) app-duplicate cmid=c1',
      '          expected: message c1 committed once by bob/laptop',
      '          actual:   committed 2 times (seq 1 at +3.4ms and +6.9ms) <dup> & "quoted"',
      '        > +3.400ms bob/laptop commit smid=s1 cmid=c1 seq=1 via push',
      '          …',
      '        replay: imspec run suites/core --only dedup-no-second-entry --seed 42',
    ]);
    expect(out.text).toContain('        step 3 (line 12) timed out after 5000 ms');
  });

  it('draws an overwritten progress line and colours on a TTY', () => {
    const out = new Capture(true);
    drive(new ConsoleReporter(out, { env: {} }));
    expect(out.text).toContain(`\r${ESC}[2K${ESC}[2m[0/6] running hello-count-first…${ESC}[0m`);
    // Each result clears the progress line before it prints, so no result line carries it.
    expect(out.text).toContain(`\r${ESC}[2K ${ESC}[32mPASS ${ESC}[0m  hello-count-first`);
    expect(out.text).toContain(`${ESC}[1;31mFAIL `);
    // The progress line is gone at the end: the summary is the last thing on screen.
    expect(
      out.text.endsWith(
        `${ESC}[1;31m1 passed, 1 failed, 1 errored, 1 warned, 1 unsupported, 1 xfailed (31.2 s)${ESC}[0m\n`,
      ),
    ).toBe(true);
  });

  it('keeps the progress line but drops colours on a TTY when NO_COLOR is set', () => {
    const out = new Capture(true);
    drive(new ConsoleReporter(out, { env: { NO_COLOR: '1' } }));
    expect(out.text).toContain('\r');
    expect(out.text).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it('prints cases it was not told about when the run ends, and stale exemptions', () => {
    const out = new Capture(false);
    const run = { ...sampleRun(), staleExemptions: ['hello-count-first'] };
    new ConsoleReporter(out).onRunEnd(run);
    expect(out.text.match(/^ (PASS|FAIL|WARN|UNSUP|XFAIL|ERROR) /gm)).toHaveLength(6);
    expect(out.text).toContain('stale exemptions (these cases no longer fail as expected; remove them');
    expect(out.text).toContain('\n  hello-count-first\n');
    expect(out.text).toContain(', 1 stale exemption (31.2 s)');
  });
});

describe('format', () => {
  it.each([
    [12.4, '12 ms'],
    [999, '999 ms'],
    [1234, '1.2 s'],
    [31_234, '31.2 s'],
    [125_000, '2 m 05 s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  it('summarises as "23 passed, 1 failed, 2 unsupported (31.2 s)"', () => {
    const cases = [
      ...Array.from({ length: 23 }, () => ({ verdict: 'PASS' as const })),
      { verdict: 'FAIL' as const },
      { verdict: 'UNSUPPORTED' as const },
      { verdict: 'UNSUPPORTED' as const },
    ];
    expect(summaryLine(cases, 0, 31_200)).toBe('23 passed, 1 failed, 2 unsupported (31.2 s)');
    expect(summaryLine([{ verdict: 'PASS' }, { verdict: 'INCONCLUSIVE' }], 0, 1_000)).toBe(
      '1 passed, 1 inconclusive (1.0 s)',
    );
  });
});

describe('ConsoleReporter with an INCONCLUSIVE case', () => {
  it('names the precondition that did not hold, with expected and actual', () => {
    const out = new Capture(false);
    const reporter = new ConsoleReporter(out);
    const run = sampleRun();
    const base = run.cases[0]!;
    reporter.onCaseResult({
      ...base,
      verdict: 'INCONCLUSIVE',
      reason: 'precondition acceptedOffline did not hold',
      preconditions: [
        { precondition: 'acceptedOffline', expected: 'at least 1', actual: '0 of 5', evidence: [] },
      ],
    });
    expect(out.text).toContain(` INCON  ${base.id}`);
    expect(out.text).toContain(
      'precondition acceptedOffline did not hold\n          expected: at least 1\n          actual:   0 of 5',
    );
  });
});

describe('ConsoleReporter with verdicts changed after printing', () => {
  it('reprints a case whose verdict an exemption changed at the end of the run', () => {
    const out = new Capture(false);
    const reporter = new ConsoleReporter(out);
    const run = sampleRun();
    const failing = run.cases[1]!;
    reporter.onCaseResult(failing);
    run.cases[1] = { ...failing, verdict: 'XFAIL', reason: 'known deviation' };
    reporter.onRunEnd(run);
    expect(out.text).toContain(
      `\nafter --expect-failures:\n XFAIL  ${failing.id.padEnd(44)}   120 ms  known deviation\n`,
    );
  });

  it('prints what a server sent with its control characters made visible, never as terminal input', () => {
    const hostile = 'a\x00b\x1b[2J\x1b]0;owned\x07\r\nc\td\x7f';
    const result = caseResult('dedup-x', 'FAIL', {
      reason: `MSG-2: expected ${hostile}`,
      findings: [finding('MSG-2', 'MUST', { cmid: hostile, expected: hostile, actual: `got ${hostile}` })],
      preconditions: [{ precondition: 'p', expected: hostile, actual: hostile, evidence: [] }],
    });
    for (const color of [false, true]) {
      const text = renderCase(result, { color }).join('\n');
      // The only escape sequences left are the reporter's own colours.
      expect(text.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(text).toContain('a�b�[2J�]0;owned��\\nc\\td�');
    }
    const error = renderCase(caseResult('e', 'ERROR', { reason: hostile }), { color: false }).join('\n');
    expect(error).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });
});
