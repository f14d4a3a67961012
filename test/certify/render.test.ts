/**
 * The certification document is generated from the kit's own results plus hand-written readings:
 * a case that deviates without a reading must show as unexplained, never silently.
 */

import { describe, expect, it } from 'vitest';
import { renderCertification, SERVERS } from '../../scripts/certify.js';
import type { CaseResult, RunResult } from '../../src/report/types.js';

const spec = SERVERS.find((s) => s.name === 'mosquitto-2.0')!;

function result(id: string, verdict: CaseResult['verdict'], reason?: string): CaseResult {
  return {
    id,
    title: `title of ${id}`,
    suite: 'servers',
    file: `suites/servers/${id}.yaml`,
    severity: 'MUST',
    covers: ['OFF-1'],
    verdict,
    ...(reason !== undefined ? { reason } : {}),
    durationMs: 10,
    seed: 1,
    findings:
      verdict === 'XFAIL' || verdict === 'FAIL'
        ? [
            {
              kind: 'lost',
              requirement: 'OFF-1',
              level: 'MUST',
              expected: 'committed by 20261122224314-48d260-0-0-bob',
              actual: 'never <committed>',
              evidence: [],
            },
          ]
        : [],
    stats: { sent: 5, accepted: 5, delivered: 0, lost: 5, wireDuplicates: 0, retransmits: 0 },
    wireLog: [],
    replay: '',
  } as unknown as CaseResult;
}

function render(cases: CaseResult[], readings: Record<string, string>): string {
  const run: RunResult = {
    runId: 'r',
    startedAt: '2026-11-22T00:00:00.000Z',
    durationMs: 1000,
    target: 'mqtt://127.0.0.1:1',
    driver: 'mqtt',
    seed: 7,
    cases,
    staleExemptions: [],
    notRunExemptions: [],
    exitCode: 0,
  };
  return renderCertification({
    spec,
    version: '2.0.11',
    run,
    paths: ['suites/core', 'suites/servers'],
    config: 'listener 18830 127.0.0.1',
    logCounts: { drops: 1 },
    readings,
    evidence: new Map([['servers/overflow', { dupFlagged: 0, bounced: 3 }]]),
  });
}

describe('renderCertification', () => {
  it('puts every case that ran in the table with its verdict, and each reading under its case', () => {
    const doc = render([result('overflow', 'XFAIL', 'queue bound'), result('fine', 'PASS')], {
      overflow: 'The broker drops past max_queued_messages.',
    });
    expect(doc).toContain('| [overflow](#overflow) | servers | MUST | XFAIL | OFF-1 lost | queue bound |');
    expect(doc).toContain('| [fine](#fine) | servers | MUST | PASS |');
    expect(doc).toContain('### overflow');
    expect(doc).toContain('The broker drops past max_queued_messages.');
    expect(doc).toContain(
      'Measured: sent 5, accepted 5, delivered 0, lost 5, wire duplicates 0, retransmits 0, bounced to the sender 3.',
    );
    expect(doc).not.toContain('### fine');
  });

  it('marks a deviation without a reading as unexplained', () => {
    const doc = render([result('new-loss', 'FAIL', 'OFF-1: lost')], {});
    expect(doc).toContain('### new-loss');
    expect(doc).toContain('No reading yet');
  });

  it('lists UNSUPPORTED cases with their reason, and shows the config and the reproduce command', () => {
    const doc = render([result('needs-dedup', 'UNSUPPORTED', 'target does not claim dedup')], {});
    expect(doc).toContain('| needs-dedup | target does not claim dedup |');
    expect(doc).toContain('listener 18830 127.0.0.1');
    expect(doc).toContain("--target-cmd 'exec scripts/targets/mosquitto.sh 18830");
    expect(doc).toContain('--expect-failures suites/expected/mosquitto-2.0.json --seed');
  });

  it('drops the runner user prefix and escapes markup in findings', () => {
    const doc = render([result('overflow', 'XFAIL', 'queue bound')], { overflow: 'x' });
    expect(doc).toContain('expected committed by bob; actual never &lt;committed>');
    expect(doc).not.toContain('20261122224314-48d260');
  });
});
