/**
 * Drafting an expected-failures file from a run, and the options and readings a certification
 * starts from: pure.
 */

import { describe, expect, it } from 'vitest';
import { draftExpectations, renderDraft, UNREVIEWED } from '../../src/certify/draft.js';
import { resolveCertifyOptions, slugOf } from '../../src/certify/options.js';
import { parseReadings } from '../../src/certify/readings.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { applyExpectedFailures, parseExpectedFailures } from '../../src/report/expect-failures.js';
import type { RunResult } from '../../src/report/types.js';
import { caseResult, finding } from '../report/fixtures.js';

function runOf(cases: RunResult['cases']): RunResult {
  return {
    runId: 'r',
    startedAt: '2026-11-22T00:00:00.000Z',
    durationMs: 1,
    target: 't',
    driver: 'mqtt',
    seed: 1,
    cases,
    staleExemptions: [],
    notRunExemptions: [],
    exitCode: 1,
  };
}

const current = parseExpectedFailures(
  `- id: known-loss
  reason: the snapshot loses what a kill -9 hits
  findings: [DUR-1]
- id: fixed-now
  reason: used to drop
- id: other-suite
  reason: a case of a suite not selected
  verdict: WARN
`,
  'expected.yaml',
);

describe('draftExpectations', () => {
  const run = runOf([
    caseResult('new-loss', 'FAIL', {
      findings: [
        finding('OFF-1', 'MUST', { expected: 'delivered to 20261122224314-48d260-0-0-bob', actual: 'never' }),
        finding('PUSH-2', 'SHOULD'),
      ],
    }),
    caseResult('dupes', 'WARN', { severity: 'SHOULD', findings: [finding('PUSH-2', 'SHOULD')] }),
    caseResult('known-loss', 'XFAIL', { reason: 'the snapshot loses what a kill -9 hits' }),
    caseResult('fixed-now', 'PASS'),
    caseResult('broken-kit', 'ERROR', { reason: 'no answer to CONNECT' }),
    caseResult('unclaimed', 'UNSUPPORTED'),
  ]);

  it('drafts an UNREVIEWED entry per FAIL and WARN, keeps known ones, drops fixed ones, skips ERROR', () => {
    const draft = draftExpectations(run, current);
    expect(draft.entries).toEqual([
      {
        id: 'new-loss',
        reason: `${UNREVIEWED}: OFF-1: expected delivered to bob; actual never`,
        findings: ['OFF-1'],
      },
      {
        id: 'dupes',
        reason: `${UNREVIEWED}: PUSH-2: expected PUSH-2 holds; actual PUSH-2 broken`,
        verdict: 'WARN',
        findings: ['PUSH-2'],
      },
      { id: 'known-loss', reason: 'the snapshot loses what a kill -9 hits', findings: ['DUR-1'] },
      { id: 'other-suite', reason: 'a case of a suite not selected', verdict: 'WARN' },
    ]);
    expect(draft.skipped).toEqual([{ id: 'broken-kit', why: 'ERROR: no answer to CONNECT' }]);
    expect(draft.dropped).toEqual(['fixed-now']);
  });

  it('writes a file the kit reads back, which turns the drafted deviations into XFAIL', () => {
    const draft = draftExpectations(run, current);
    const reread = parseExpectedFailures(renderDraft(draft), 'draft.json');
    const applied = applyExpectedFailures(run.cases.slice(0, 2), reread);
    expect(applied.cases.map((c) => c.verdict)).toEqual(['XFAIL', 'XFAIL']);
    expect(applied.stale).toEqual([]);
  });
});

describe('certify options', () => {
  it('needs driver, target and a launch command, and says why', () => {
    expect(() => resolveCertifyOptions({ driver: 'mqtt', target: 'mqtt://127.0.0.1:1' })).toThrow(UsageError);
    expect(() => resolveCertifyOptions({ driver: 'mqtt', target: 'mqtt://127.0.0.1:1' })).toThrow(
      /--target-cmd .*the kit starts the server itself/,
    );
  });

  it('defaults the suites, the name and the output dir, and refuses a draft over the expected failures', () => {
    const base = { driver: 'xmpp', target: 'xmpp://127.0.0.1:1', targetCmd: 'exec x' };
    expect(resolveCertifyOptions(base)).toMatchObject({
      name: 'xmpp server',
      suites: ['suites/core', 'suites/servers', 'suites/faults'],
      outDir: 'reports/certification',
      startTimeoutMs: 15_000,
    });
    expect(() =>
      resolveCertifyOptions({ ...base, expectFailures: 'a.json', draftExpectations: 'a.json' }),
    ).toThrow(/must not overwrite --expect-failures/);
    expect(() => resolveCertifyOptions({ ...base, logCounts: { x: 'y' } })).toThrow(
      /--log-count needs --log FILE/,
    );
    expect(() => resolveCertifyOptions({ ...base, logFile: 'l', logCounts: { x: '(' } })).toThrow(UsageError);
  });

  it('names documents by a slug of the name', () => {
    expect(slugOf('Mosquitto 2.0')).toBe('mosquitto-2.0');
    expect(slugOf('RabbitMQ 3.10 (MQTT plugin)')).toBe('rabbitmq-3.10-mqtt-plugin');
  });
});

describe('readings', () => {
  it('reads one server’s readings and refuses a malformed file with its name', () => {
    const text = 'mosquitto-2.0:\n  _summary: short\n  offline-kill-9: |\n    lost\nprosody-0.12:\n  x: y\n';
    expect(parseReadings(text, 'r.yaml', 'mosquitto-2.0')).toEqual({
      _summary: 'short',
      'offline-kill-9': 'lost\n',
    });
    expect(parseReadings(text, 'r.yaml', 'rabbitmq-3.10')).toEqual({});
    expect(() => parseReadings('a: [1', 'r.yaml', 'a')).toThrow(ConfigError);
    expect(() => parseReadings('a:\n  case: [1]\n', 'r.yaml', 'a')).toThrow('r.yaml: a.case must be text');
  });
});
