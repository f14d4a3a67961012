import { describe, expect, it } from 'vitest';
import { escapeXml, renderJunit } from '../../src/report/junit.js';
import { caseResult, finding, sampleRun } from './fixtures.js';
import { all, parseXml } from './tiny-xml.js';

describe('renderJunit', () => {
  it('is well-formed with one testsuite per suite and the right counts', () => {
    const run = sampleRun();
    run.cases.push(
      caseResult('frame-garbage', 'PASS', { suite: 'hostile', file: 'suites/hostile/frame-garbage.yaml' }),
    );
    const root = parseXml(renderJunit(run));
    expect(root.name).toBe('testsuites');
    // FAIL → failure, ERROR → error, UNSUPPORTED and XFAIL → skipped, PASS and WARN pass.
    expect(root.attrs).toMatchObject({
      tests: '7',
      failures: '1',
      errors: '1',
      skipped: '2',
      time: '31.234',
    });
    const suites = all(root, 'testsuite');
    expect(suites.map((s) => [s.attrs['name'], s.attrs['tests']])).toEqual([
      ['core', '6'],
      ['hostile', '1'],
    ]);
    expect(all(suites[0]!, 'testcase')).toHaveLength(6);
  });

  it('maps each verdict to the element CI systems read', () => {
    const root = parseXml(renderJunit(sampleRun()));
    const byName = new Map(all(root, 'testcase').map((t) => [t.attrs['name']!.split(':')[0]!, t]));
    const tagsOf = (id: string) => byName.get(id)!.children.map((c) => c.name);
    expect(tagsOf('hello-count-first')).toEqual(['properties']);
    expect(tagsOf('dedup-no-second-entry')).toEqual(['properties', 'failure']);
    expect(tagsOf('standin-receipt')).toEqual(['properties', 'system-out']);
    expect(tagsOf('multi-device-cursors')).toEqual(['properties', 'skipped']);
    expect(tagsOf('sync-paging')).toEqual(['properties', 'skipped']);
    expect(tagsOf('repush-timer')).toEqual(['properties', 'error']);
    const skipped = all(byName.get('sync-paging')!, 'skipped')[0]!;
    expect(skipped.attrs['message']).toBe('expected failure: known: server pages off by one');
  });

  it('escapes findings, keeps requirement ids in properties and the wire log in the failure body', () => {
    const root = parseXml(renderJunit(sampleRun()));
    const failing = all(root, 'testcase').find((t) => t.attrs['name']!.startsWith('dedup-no-second-entry'))!;
    const props = all(failing, 'property').map((p) => [p.attrs['name'], p.attrs['value']]);
    expect(props).toEqual([
      ['verdict', 'FAIL'],
      ['severity', 'MUST'],
      ['seed', '42'],
      ['requirement', 'DEDUP-1'],
      ['finding', 'DEDUP-2 app-duplicate'],
    ]);
    const failure = all(failing, 'failure')[0]!;
    expect(failure.attrs['type']).toBe('FAIL');
    expect(failure.text).toContain(
      'actual:   committed 2 times (seq 1 at +3.4ms and +6.9ms) <dup> & "quoted"',
    );
    expect(failure.text).toContain('> +3.400ms bob/laptop commit smid=s1');
    expect(failure.text).toContain('replay: imspec run suites/core --only dedup-no-second-entry --seed 42');
    expect(failing.attrs['classname']).toBe('imspec.core');
    expect(failing.attrs['time']).toBe('0.120');
  });

  it('survives hostile text: control characters, lone surrogates and markup in a wire log', () => {
    const hostile = 'a\u0000b\u001bc<d>&e"f\'g\ud800h]]>i\r\nj';
    const run = sampleRun();
    run.cases = [
      caseResult('raw-garbage', 'FAIL', {
        title: hostile,
        reason: hostile,
        findings: [finding('FRAME-2', 'MUST', { actual: hostile })],
        wireLog: [hostile],
      }),
    ];
    const xml = renderJunit(run);
    const root = parseXml(xml);
    const testcase = all(root, 'testcase')[0]!;
    expect(testcase.attrs['name']).toBe('raw-garbage: a\ufffdb\ufffdc<d>&e"f\'g\ufffdh]]>i\r\nj');
    expect(all(testcase, 'failure')[0]!.attrs['message']).toContain('<d>&e"f');
  });

  it('marks a stale exemption as a failure so CI and the exit code agree', () => {
    const run = sampleRun();
    run.staleExemptions = ['hello-count-first'];
    const root = parseXml(renderJunit(run));
    expect(root.attrs['failures']).toBe('2');
    const stale = all(root, 'failure').find((f) => f.attrs['type'] === 'STALE_EXEMPTION')!;
    expect(stale.attrs['message']).toBe(
      'expected to fail (--expect-failures), but got PASS: remove the exemption',
    );
  });

  it('counts a FLAKY MUST case as a failure and a FLAKY SHOULD case as passing', () => {
    const run = sampleRun();
    const passRate = { passed: 3, runs: 4, failingSeeds: [7] };
    run.cases = [
      caseResult('a', 'FLAKY', { reason: '3/4 runs passed', passRate }),
      caseResult('b', 'FLAKY', {
        severity: 'SHOULD',
        reason: '3/4 runs passed',
        passRate,
        findings: [finding('SEQ-4', 'SHOULD')],
      }),
    ];
    const root = parseXml(renderJunit(run));
    expect(root.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0', skipped: '0' });
  });

  it('skips an INCONCLUSIVE case with its unmet precondition, and fails it under --strict', () => {
    const run = sampleRun();
    const reason = 'precondition acceptedOffline did not hold: expected at least 1, actual 0 of 5';
    run.cases = [
      caseResult('offline', 'INCONCLUSIVE', {
        reason,
        preconditions: [
          { precondition: 'acceptedOffline', expected: 'at least 1', actual: '0 of 5', evidence: [] },
        ],
      }),
    ];
    const skipped = all(parseXml(renderJunit(run)), 'skipped')[0]!;
    expect(skipped.attrs).toMatchObject({ type: 'INCONCLUSIVE', message: `inconclusive: ${reason}` });
    expect(skipped.text).toContain('precondition acceptedOffline did not hold');
    const strict = parseXml(renderJunit({ ...run, strict: true }));
    expect(strict.attrs).toMatchObject({ tests: '1', failures: '1', skipped: '0' });
    expect(all(strict, 'failure')[0]!.attrs['type']).toBe('INCONCLUSIVE');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials and whitespace that attribute normalisation would eat', () => {
    expect(escapeXml(`<a href="x">'&'</a>\n\t`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;&#10;&#9;',
    );
  });

  it('keeps astral characters whole', () => {
    expect(escapeXml('😀')).toBe('😀');
  });
});
