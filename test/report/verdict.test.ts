import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { Level } from '../../src/protocol/requirements.js';
import type { Verdict } from '../../src/report/types.js';
import { decideRepeatVerdict, decideVerdict, exitCodeOf, failNote } from '../../src/report/verdict.js';
import { finding } from './fixtures.js';

describe('decideVerdict', () => {
  // severity of the case × level of its one finding → verdict (docs/reports.md). A MUST
  // broken fails wherever it is observed; other findings count at most at the case's severity.
  const table: [Level, Level | undefined, Verdict][] = [
    ['MUST', undefined, 'PASS'],
    ['MUST', 'MUST', 'FAIL'],
    ['MUST', 'SHOULD', 'WARN'],
    ['MUST', 'MAY', 'INFO'],
    ['SHOULD', 'MUST', 'FAIL'],
    ['SHOULD', 'SHOULD', 'WARN'],
    ['SHOULD', 'MAY', 'INFO'],
    ['MAY', 'MUST', 'FAIL'],
    ['MAY', 'SHOULD', 'INFO'],
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

describe('decideVerdict when the kit ran out of time or a precondition failed', () => {
  const unmet = {
    precondition: 'acceptedOffline',
    expected: 'at least 1 message accepted while its receiver was offline',
    actual: 'none of 5',
    evidence: [],
  };
  const limit = 'case deadline (5000 ms) passed in step 2 (send, line 14): 499 of 3000 messages sent';

  it('is ERROR naming the kit limit, never a server requirement, when no MUST finding stands', () => {
    expect(decideVerdict({ severity: 'MUST', findings: [], kitLimit: limit })).toEqual({
      verdict: 'ERROR',
      reason: `kit limit: ${limit}`,
    });
    const d = decideVerdict({ severity: 'MUST', findings: [finding('SEQ-4', 'SHOULD')], kitLimit: limit });
    expect(d.verdict).toBe('ERROR');
    expect(d.reason).toContain('(also SEQ-4: expected');
  });

  it('is FAIL when a MUST finding stands in a case cut short, and says it was cut short', () => {
    const d = decideVerdict({ severity: 'SHOULD', findings: [finding('RID-1', 'MUST')], kitLimit: limit });
    expect(d.verdict).toBe('FAIL');
    expect(d.reason).toBe(
      `RID-1: expected RID-1 holds, actual RID-1 broken; the case was cut short: ${limit}`,
    );
    // The console shows the findings apart, and this note beside them.
    expect(failNote(d.reason)).toBe(`the case was cut short: ${limit}`);
    expect(failNote(decideVerdict({ severity: 'MUST', findings: [finding('RID-1', 'MUST')] }).reason)).toBe(
      undefined,
    );
  });

  it('is FAIL saying the case stopped early when a server frame stopped it and a MUST finding names it', () => {
    const where =
      'step 6 (page, line 21): the answer to sync:R before 16 (rid ~5) is not a valid RAN/1 frame';
    const d = decideVerdict({
      severity: 'MUST',
      findings: [finding('FRAME-4', 'MUST')],
      stoppedEarly: where,
    });
    expect(d.verdict).toBe('FAIL');
    expect(d.reason).toBe(
      `FRAME-4: expected FRAME-4 holds, actual FRAME-4 broken; the case stopped early, in ${where}`,
    );
    // Never PASS: a case that stopped early with no MUST finding after all is the kit's ERROR.
    expect(decideVerdict({ severity: 'MUST', findings: [], stoppedEarly: where })).toEqual({
      verdict: 'ERROR',
      reason: `stopped early, in ${where}`,
    });
  });

  it('is INCONCLUSIVE with the precondition when one did not hold, over SHOULD and MAY findings', () => {
    expect(decideVerdict({ severity: 'MUST', findings: [], unmet: [unmet] })).toEqual({
      verdict: 'INCONCLUSIVE',
      reason:
        'precondition acceptedOffline did not hold: expected at least 1 message accepted while its receiver was offline, actual none of 5',
    });
    expect(
      decideVerdict({ severity: 'MUST', findings: [finding('SEQ-4', 'SHOULD')], unmet: [unmet, unmet] })
        .reason,
    ).toMatch(/none of 5 \(\+1 more\) \(also SEQ-4/);
    expect(
      decideVerdict({ severity: 'MUST', findings: [finding('SEQ-1', 'MUST')], unmet: [unmet] }).verdict,
    ).toBe('FAIL');
    expect(decideVerdict({ severity: 'MUST', findings: [], unmet: [unmet], kitLimit: limit }).verdict).toBe(
      'ERROR',
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

  it('lets INCONCLUSIVE fail the run only when strict', () => {
    expect(exitCodeOf([r('PASS'), r('INCONCLUSIVE')], [])).toBe(0);
    expect(exitCodeOf([r('PASS'), r('INCONCLUSIVE')], [], true)).toBe(1);
    expect(exitCodeOf([r('PASS'), r('WARN', 'SHOULD')], [], true)).toBe(0);
  });

  it('fails the run on a FLAKY SHOULD case only when one of its runs broke a MUST', () => {
    expect(exitCodeOf([{ ...r('FLAKY', 'SHOULD'), findings: [finding('SEQ-4', 'SHOULD')] }], [])).toBe(0);
    expect(exitCodeOf([{ ...r('FLAKY', 'SHOULD'), findings: [finding('RID-1', 'MUST')] }], [])).toBe(1);
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

  it('leaves INCONCLUSIVE runs out when another run judged the case', () => {
    const d = decideRepeatVerdict([
      { verdict: 'PASS', seed: 1 },
      { verdict: 'INCONCLUSIVE', seed: 2, reason: 'precondition accepted did not hold' },
      { verdict: 'PASS', seed: 3 },
    ]);
    expect(d).toEqual({
      verdict: 'PASS',
      reason: '(1 inconclusive run not counted)',
      passRate: { passed: 2, runs: 3, failingSeeds: [] },
    });
    const all = decideRepeatVerdict([
      { verdict: 'INCONCLUSIVE', seed: 1, reason: 'why' },
      { verdict: 'INCONCLUSIVE', seed: 2, reason: 'why' },
    ]);
    expect(all.verdict).toBe('INCONCLUSIVE');
    expect(all.reason).toBe('why');
    const mixed = decideRepeatVerdict([
      { verdict: 'PASS', seed: 1 },
      { verdict: 'INCONCLUSIVE', seed: 2 },
      { verdict: 'FAIL', seed: 3 },
    ]);
    expect(mixed.verdict).toBe('FLAKY');
    expect(mixed.reason).toBe('1/2 runs passed (1 inconclusive run not counted); first FAIL with seed 3');
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
