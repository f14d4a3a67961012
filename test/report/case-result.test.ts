import { describe, expect, it } from 'vitest';
import { buildCaseResult, buildRunResult } from '../../src/report/case-result.js';
import { parseExpectedFailures } from '../../src/report/expect-failures.js';
import { EVENTS, finding, STATS } from './fixtures.js';

const scenario = {
  id: 'dedup-no-second-entry',
  title: 'a retransmitted msg:R creates no second inbox entry',
  suite: 'core',
  file: 'suites/core/dedup-no-second-entry.yaml',
  severity: 'MUST' as const,
  covers: ['DEDUP-2'],
};
const base = {
  scenario,
  events: EVENTS,
  durationMs: 50,
  seed: 7,
  replay: 'imspec run --only dedup-no-second-entry --seed 7',
};

describe('buildCaseResult', () => {
  it('decides the verdict and excerpts the wire log around the deciding finding, not a side note', () => {
    const result = buildCaseResult({
      ...base,
      stats: STATS,
      findings: [
        finding('SEQ-4', 'SHOULD', { evidence: [1] }),
        finding('DEDUP-2', 'MUST', { kind: 'app-duplicate', evidence: [10] }),
      ],
      wireLogLines: 4,
    });
    expect(result.verdict).toBe('FAIL');
    expect(result.reason).toMatch(/^DEDUP-2: /);
    expect(result.wireLog.filter((l) => l.startsWith('>'))).toEqual([
      '> +6.900ms bob/laptop commit smid=s1 cmid=c1 seq=1 via push',
    ]);
    expect(result.stats).toBe(STATS);
    expect(result).toMatchObject({
      id: scenario.id,
      seed: 7,
      durationMs: 50,
      covers: ['DEDUP-2'],
      replay: base.replay,
    });
  });

  it('is UNSUPPORTED with the missing caps and no wire log when the case did not run', () => {
    const result = buildCaseResult({ ...base, events: [], findings: [], unsupportedCaps: ['dedup'] });
    expect(result).toMatchObject({
      verdict: 'UNSUPPORTED',
      reason: 'target does not claim dedup',
      wireLog: [],
    });
    expect('stats' in result).toBe(false);
  });
});

describe('buildRunResult', () => {
  const info = {
    runId: 'r',
    startedAt: '2024-05-01T10:00:00.000Z',
    durationMs: 10,
    target: 't',
    driver: 'ran',
    seed: 7,
  };

  it('applies exemptions and computes the exit code from what is left', () => {
    const failing = buildCaseResult({ ...base, findings: [finding('DEDUP-2', 'MUST')] });
    expect(buildRunResult(info, [failing]).run.exitCode).toBe(1);
    const exemptions = parseExpectedFailures('- id: dedup-no-second-entry\n  reason: known\n', 'x.yaml');
    const { run, stale } = buildRunResult(info, [failing], exemptions);
    expect(run.cases[0]!.verdict).toBe('XFAIL');
    expect(run.exitCode).toBe(0);
    expect(stale).toEqual([]);
    expect(Object.keys(run)).not.toContain('stale');
  });

  it('fails the run on a stale exemption and lists it', () => {
    const passing = buildCaseResult({ ...base, findings: [] });
    const exemptions = parseExpectedFailures('- id: dedup-no-second-entry\n  reason: known\n', 'x.yaml');
    const { run, stale } = buildRunResult(info, [passing], exemptions);
    expect(run.staleExemptions).toEqual(['dedup-no-second-entry']);
    expect(stale[0]).toMatchObject({ file: 'x.yaml', line: 1, verdict: 'PASS' });
    expect(run.exitCode).toBe(1);
  });
});
