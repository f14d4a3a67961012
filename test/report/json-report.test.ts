import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import schema from '../../schemas/report.schema.json' with { type: 'json' };
import { THRESHOLD_IDS } from '../../src/checker/stats.js';
import type { FindingKind } from '../../src/checker/types.js';
import { createReporters, renderJson } from '../../src/report/reporters.js';
import type { CaseResult, RunResult, Verdict } from '../../src/report/types.js';
import { caseResult, finding, STATS, sampleRun } from './fixtures.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
// ajv knows no formats without ajv-formats (not a dependency); date-time is the only one used.
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const validate = ajv.compile<RunResult>(schema);

const errorsOf = (value: unknown) =>
  validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

/** Every member of CaseResult, optional ones included: the compiler keeps this list complete. */
const FULL_CASE: Required<CaseResult> = {
  ...caseResult('full', 'FLAKY', {
    findings: [finding('SEQ-1', 'MUST', { cmid: 'c1', smid: 's1', evidence: [1, 2] })],
  }),
  reason: '3/4 runs passed',
  preconditions: [
    { precondition: 'acceptedOffline', expected: 'at least 1', actual: '0 of 5', evidence: [3] },
  ],
  stats: STATS,
  passRate: { passed: 3, runs: 4, failingSeeds: [9] },
  replays: ['imspec run suites/faults/x.yaml --only full --seed 1 --case-seed 9'],
  faults: [{ t: 12.5, rule: 'lose', action: 'drop', actor: 'alice/phone', frame: '{"type":"msg:A"}' }],
  minimized: { file: 'reports/minimized/full-seed-9.yaml', events: 1, of: 7, runs: 9, exhausted: false },
  target: { kills: 1, crashes: 1, restarts: 1, restartedBeforeCase: false, logTail: ['segfault'] },
};

describe('schemas/report.schema.json', () => {
  it('accepts the sample run and a case with every optional member', () => {
    const run = sampleRun();
    run.cases.push(FULL_CASE);
    expect(errorsOf(JSON.parse(renderJson(run)))).toEqual([]);
  });

  it('names exactly the members of the TypeScript types (no drift either way)', () => {
    const defs = schema.$defs;
    expect(Object.keys(defs.caseResult.properties).sort()).toEqual(Object.keys(FULL_CASE).sort());
    expect(Object.keys(defs.ledgerStats.properties).sort()).toEqual(Object.keys(STATS).sort());
    const fullRun: Required<RunResult> = {
      ...sampleRun(),
      strict: true,
      interrupted: { signal: 'SIGINT', completed: 1, total: 2 },
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(fullRun).sort());
    const verdicts: Record<Verdict, true> = {
      PASS: true,
      FAIL: true,
      WARN: true,
      INFO: true,
      UNSUPPORTED: true,
      INCONCLUSIVE: true,
      ERROR: true,
      FLAKY: true,
      XFAIL: true,
    };
    expect([...defs.verdict.enum].sort()).toEqual(Object.keys(verdicts).sort());
    const kinds: Record<FindingKind, true> = {
      lost: true,
      'app-duplicate': true,
      'wire-duplicate': true,
      'unexpected-message': true,
      'unknown-outcome': true,
      'seq-gap': true,
      'seq-reuse': true,
      'order-violation': true,
      'missing-receipt': true,
      'missing-repush': true,
      'false-receipt': true,
      'unanswered-request': true,
      'doubly-answered-request': true,
      'unsolicited-answer': true,
      'schema-violation': true,
      'sync-page': true,
      latency: true,
      'retransmit-bound': true,
      assertion: true,
    };
    expect([...defs.finding.properties.kind.enum].sort()).toEqual(Object.keys(kinds).sort());
    expect([...defs.thresholdId.enum].sort()).toEqual(Object.values(THRESHOLD_IDS).sort());
  });

  it.each<[string, (run: RunResult) => void, string]>([
    [
      'an unknown verdict',
      (r) => {
        (r.cases[0] as { verdict: string }).verdict = 'SKIP';
      },
      '/cases/0/verdict',
    ],
    ['a missing exit code', (r) => void delete (r as Partial<RunResult>).exitCode, 'exitCode'],
    [
      'an extra member',
      (r) => {
        (r.cases[1] as unknown as Record<string, unknown>)['note'] = 'x';
      },
      '/cases/1',
    ],
    [
      'a lowercase requirement id',
      (r) => {
        r.cases[1]!.findings[0]!.requirement = 'dedup-2';
      },
      '/cases/1/findings/0/requirement',
    ],
    ['UNSUPPORTED without a reason', (r) => void delete r.cases[3]!.reason, '/cases/3'],
    [
      'a negative evidence index',
      (r) => {
        r.cases[1]!.findings[0]!.evidence = [-1];
      },
      '/cases/1/findings/0/evidence/0',
    ],
    [
      'a startedAt that is not a date-time',
      (r) => {
        r.startedAt = 'yesterday';
      },
      '/startedAt',
    ],
  ])('refuses %s', (_label, breakIt, path) => {
    const run = sampleRun();
    breakIt(run);
    const errors = errorsOf(JSON.parse(JSON.stringify(run)));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain(path);
  });
});

describe('json reporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-json-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the RunResult to the named file, creating its directory, valid against the schema', async () => {
    const path = join(dir, 'nested', 'report.json');
    const [reporter] = createReporters([`json=${path}`]);
    await reporter!.onRunEnd!(sampleRun());
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written).toEqual(sampleRun());
    expect(errorsOf(written)).toEqual([]);
  });
});
