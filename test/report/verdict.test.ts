import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { Level } from '../../src/protocol/requirements.js';
import type { Verdict } from '../../src/report/types.js';
import { decideRepeatVerdict, decideVerdict, exitCodeOf } from '../../src/report/verdict.js';
import { finding } from './fixtures.js';

describe('decideVerdict', () => {
  // severity of the case × level of its one finding → verdict (docs/reports.md).
  const table: [Level, Level | undefined, Verdict][] = [
    ['MUST', undefined, 'PASS'],
    ['MUST', 'MUST', 'FAIL'],
    ['MUST', 'SHOULD', 'WARN'],
    ['MUST', 'MAY', 'INFO'],
    ['SHOULD', 'MUST', 'WARN'],
    ['SHOULD', 'SHOULD', 'WARN'],
    ['SHOULD', 'MAY', 'INFO'],
    ['MAY', 'MUST', 'INFO'],
    ['MAY', undefined, 'PASS'],
  ];
  it.each(table)('a %s case with a %s finding is %s', (severity, level, verdict) => {
    const findings = level ? [finding('SEQ-1', level)] : [];
    expect(decideVerdict({ severity, findings }).verdict).toBe(verdict);
  });

  it('lets the strongest finding decide and names it in the reason', () => {
    const d = decideVerdict({
      severity: 'MUST',
      findings: [finding('SEQ-4', 'SHOULD'), finding('DEDUP-1', 'MUST'), finding('PING-2', 'MAY')],
    });
    expect(d.verdict).toBe('FAIL');
    expect(d.reason).toBe('DEDUP-1: expected DEDUP-1 holds, actual DEDUP-1 broken (+2 more findings)');
  });

  it('is UNSUPPORTED, naming the missing caps, even when there are findings or an error', () => {
    const d = decideVerdict({
      severity: 'MUST',
      findings: [finding('MDEV-1', 'MUST')],
      unsupportedCaps: ['multi-device', 'dedup'],
      error: new Error('boom'),
    });
    expect(d).toEqual({ verdict: 'UNSUPPORTED', reason: 'target does not claim multi-device, dedup' });
  });

  it('is ERROR when the kit could not run the case, with the error code in the reason', () => {
    const d = decideVerdict({
      severity: 'MUST',
      findings: [finding('SEQ-1', 'MUST')],
      error: new ConfigError('bad target'),
    });
    expect(d).toEqual({ verdict: 'ERROR', reason: 'bad target [IMSPEC_ERR_CONFIG]' });
    expect(decideVerdict({ severity: 'SHOULD', findings: [], error: 'step timed out' }).reason).toBe(
      'step timed out',
    );
  });
});

describe('exitCodeOf', () => {
  const r = (verdict: Verdict, severity: Level = 'MUST') => ({ verdict, severity });

  it('is 0 when every MUST case passed, whatever the warnings, infos, unsupported and xfails', () => {
    expect(
      exitCodeOf([r('PASS'), r('WARN'), r('INFO'), r('UNSUPPORTED'), r('XFAIL'), r('FLAKY', 'SHOULD')], []),
    ).toBe(0);
    expect(exitCodeOf([], [])).toBe(0);
  });

  it.each([
    ['a FAIL', [r('PASS'), r('FAIL')]],
    ['an ERROR, even of a SHOULD case', [r('PASS'), r('ERROR', 'SHOULD')]],
    ['a FLAKY MUST case', [r('FLAKY', 'MUST')]],
  ])('is 1 on %s', (_label, results) => {
    expect(exitCodeOf(results, [])).toBe(1);
  });

  it('is 1 on a stale exemption even when every case passed', () => {
    expect(exitCodeOf([r('PASS')], ['dedup-case'])).toBe(1);
  });
});

describe('decideRepeatVerdict', () => {
  it('is FLAKY with the pass rate and failing seeds when runs disagree', () => {
    const d = decideRepeatVerdict([
      { verdict: 'PASS', seed: 1 },
      { verdict: 'FAIL', seed: 2, reason: 'SEQ-1: gap' },
      { verdict: 'PASS', seed: 3 },
      { verdict: 'FAIL', seed: 4 },
    ]);
    expect(d.verdict).toBe('FLAKY');
    expect(d.passRate).toEqual({ passed: 2, runs: 4, failingSeeds: [2, 4] });
    expect(d.reason).toBe('2/4 runs passed; first FAIL with seed 2: SEQ-1: gap');
  });

  it('keeps the worst verdict when no run passes, and the verdict itself when all agree', () => {
    expect(
      decideRepeatVerdict([
        { verdict: 'WARN', seed: 1 },
        { verdict: 'FAIL', seed: 2 },
      ]).verdict,
    ).toBe('FAIL');
    expect(
      decideRepeatVerdict([
        { verdict: 'PASS', seed: 1 },
        { verdict: 'INFO', seed: 2 },
      ]).verdict,
    ).toBe('INFO');
  });
});
