import { describe, expect, it } from 'vitest';
import type { Requirement } from '../../src/protocol/requirements.js';
import { REQUIREMENTS } from '../../src/protocol/requirements.js';
import { computeCoverage, coverageExitCode, renderCoverage } from '../../src/report/coverage.js';

const REQS: Requirement[] = [
  { id: 'FRAME-1', level: 'MUST', section: '2. Transport and framing', summary: '' },
  { id: 'AUTH-4', level: 'SHOULD', section: '4. Sessions', summary: '' },
  { id: 'DEDUP-1', level: 'MUST', section: '5. Sending', cap: 'dedup', summary: '' },
  { id: 'RID-3', level: 'MAY', section: '3. Requests', summary: '' },
  { id: 'PING-1', level: 'MUST', section: '9. Heartbeat', summary: '' },
];

const CASES = [
  { id: 'dedup-same-smid', suite: 'core', file: 'suites/core/a.yaml', covers: ['DEDUP-1', 'FRAME-1'] },
  { id: 'garbage', suite: 'hostile', file: 'suites/hostile/b.yaml', covers: ['FRAME-1', 'FRAME-99'] },
  { id: 'dedup-again', suite: 'core', file: 'suites/core/c.yaml', covers: ['DEDUP-1', 'DEDUP-1'] },
];

describe('computeCoverage', () => {
  const report = computeCoverage(CASES, REQS);

  it('lists the cases and suites covering each requirement', () => {
    expect(report.requirements.find((r) => r.id === 'FRAME-1')).toMatchObject({
      cases: ['dedup-same-smid', 'garbage'],
      suites: ['core', 'hostile'],
    });
    expect(report.requirements.find((r) => r.id === 'DEDUP-1')).toMatchObject({
      cap: 'dedup',
      cases: ['dedup-same-smid', 'dedup-again'],
    });
  });

  it('lists what each suite covers in document order', () => {
    expect(report.suites).toEqual([
      { suite: 'core', cases: 2, covers: ['FRAME-1', 'DEDUP-1'] },
      { suite: 'hostile', cases: 1, covers: ['FRAME-1'] },
    ]);
  });

  it('reports uncovered ids by level and covers entries that name no requirement', () => {
    expect(report).toMatchObject({ total: 5, covered: 2 });
    expect(report.uncovered).toEqual({ MUST: ['PING-1'], SHOULD: ['AUTH-4'], MAY: ['RID-3'] });
    expect(report.unknown).toEqual([{ id: 'FRAME-99', case: 'garbage', file: 'suites/hostile/b.yaml' }]);
  });

  it('uses the protocol requirement list by default', () => {
    const full = computeCoverage([]);
    expect(full.total).toBe(REQUIREMENTS.length);
    expect(full.uncovered.MUST.length).toBe(REQUIREMENTS.filter((r) => r.level === 'MUST').length);
  });
});

describe('coverageExitCode', () => {
  it('is 1 only under --strict with an uncovered MUST or SHOULD', () => {
    const report = computeCoverage(CASES, REQS);
    expect(coverageExitCode(report, false)).toBe(0);
    expect(coverageExitCode(report, true)).toBe(1);
    const onlyMay = computeCoverage(
      [{ id: 'x', suite: 's', file: 'f', covers: ['FRAME-1', 'AUTH-4', 'DEDUP-1', 'PING-1'] }],
      REQS,
    );
    expect(coverageExitCode(onlyMay, true)).toBe(0);
  });
});

describe('renderCoverage', () => {
  it('prints totals, suites and highlights uncovered MUST and SHOULD ids', () => {
    const text = renderCoverage(computeCoverage(CASES, REQS));
    expect(text).not.toContain('\x1b');
    const lines = text.split('\n');
    expect(lines[0]).toBe('requirement coverage: 2/5 ids covered (40%)');
    expect(lines).toContain('suite core: 2 cases, 2 ids');
    expect(lines).toContain('  FRAME-1 DEDUP-1');
    expect(lines).toContain('uncovered MUST (1):');
    expect(lines).toContain('  ! PING-1     9. Heartbeat');
    expect(lines).toContain('  ! AUTH-4     4. Sessions');
    expect(lines).toContain('    RID-3      3. Requests');
    expect(lines).toContain('  FRAME-99 in case garbage (suites/hostile/b.yaml)');
  });

  it('colours the uncovered MUST heading when asked', () => {
    expect(renderCoverage(computeCoverage(CASES, REQS), { color: true })).toContain(
      '\x1b[1;31muncovered MUST (1):\x1b[0m',
    );
  });
});
