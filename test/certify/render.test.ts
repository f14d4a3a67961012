/**
 * The certification document is generated from the kit's own results plus hand-written readings:
 * a case that deviates without a reading must show as unexplained, never silently; the command
 * shown is the one that reproduces the run, with run-specific text replaced for the reader.
 */

import { describe, expect, it } from 'vitest';
import { certifyCommand } from '../../src/certify/command.js';
import { resolveCertifyOptions } from '../../src/certify/options.js';
import { renderCertification } from '../../src/certify/render.js';
import type { CaseResult, RunResult } from '../../src/report/types.js';

function result(
  id: string,
  verdict: CaseResult['verdict'],
  reason?: string,
  extra: Partial<CaseResult> = {},
) {
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
    ...extra,
  } as unknown as CaseResult;
}

const options = resolveCertifyOptions({
  name: 'Mosquitto 2.0',
  driver: 'mqtt',
  target: 'mqtt://127.0.0.1:41234',
  targetCmd: 'exec scripts/targets/mosquitto.sh 41234 /tmp/imspec-mosquitto-2.0-Xy12',
  configFiles: ['/tmp/imspec-mosquitto-2.0-Xy12/mosquitto.conf'],
  expectFailures: 'suites/expected/mosquitto-2.0.json',
  startTimeoutMs: 60_000,
  seed: 7,
});

function render(cases: CaseResult[], readings: Record<string, string>, notRun: string[] = []): string {
  const run: RunResult = {
    runId: 'r',
    startedAt: '2026-11-22T00:00:00.000Z',
    durationMs: 1000,
    target: 'mqtt://127.0.0.1:41234',
    driver: 'mqtt',
    seed: 7,
    cases,
    staleExemptions: [],
    notRunExemptions: notRun,
    exitCode: 0,
  };
  return renderCertification({
    name: options.name,
    version: 'Debian 2.0.11',
    driver: 'mqtt',
    suites: options.suites,
    expectFailures: 'suites/expected/mosquitto-2.0.json',
    readingsFile: 'docs/certifications/readings.yaml',
    run,
    command: certifyCommand(options),
    configs: [
      {
        file: options.configFiles[0]!,
        text: 'listener 41234 127.0.0.1\npid_file /tmp/imspec-mosquitto-2.0-Xy12/m.pid\n',
      },
    ],
    logCounts: { drops: 1 },
    readings,
    evidence: new Map([['servers/overflow', { dupFlagged: 0, returnedToSender: 3 }]]),
    display: { '41234': '18830', '/tmp/imspec-mosquitto-2.0-Xy12': '/tmp/imspec-mosquitto-2.0' },
  });
}

describe('renderCertification', () => {
  it('puts every case that ran in the table with its verdict, and each reading under its case', () => {
    const doc = render([result('overflow', 'XFAIL', 'queue bound'), result('fine', 'PASS')], {
      overflow: 'The broker drops past max_queued_messages.',
    });
    expect(doc).toContain('# Certification: Mosquitto 2.0 (Debian 2.0.11)');
    expect(doc).toContain('| [overflow](#overflow) | servers | MUST | XFAIL | OFF-1 lost | queue bound |');
    expect(doc).toContain('| [fine](#fine) | servers | MUST | PASS |');
    expect(doc).toContain('### overflow');
    expect(doc).toContain('The broker drops past max_queued_messages.');
    expect(doc).toContain(
      'Measured: sent 5, accepted 5, delivered 0, lost 5, wire duplicates 0, retransmits 0, returned to the sender 3.',
    );
    expect(doc).not.toContain('### fine');
  });

  it('marks a deviation without a reading as unexplained', () => {
    const doc = render([result('new-loss', 'FAIL', 'OFF-1: lost')], {});
    expect(doc).toContain('### new-loss');
    expect(doc).toContain('No reading yet');
  });

  it('shows the bounce counts and the server log tail of a failing case', () => {
    const doc = render(
      [
        result('crashy', 'FAIL', 'FRAME-8', {
          target: {
            kills: 1,
            crashes: 1,
            restarts: 1,
            restartedBeforeCase: false,
            logTail: ['1733 Segfault at 41234'],
          },
        }),
      ],
      {},
    );
    expect(doc).toContain('Target: exited 2× (1 crash), restarted 1×.');
    expect(doc).toContain('```\n1733 Segfault at 18830\n```');
  });

  it('shows the exact command with the reader’s port and dir, the config, the version and the log counts', () => {
    const doc = render([result('needs-dedup', 'UNSUPPORTED', 'target does not claim dedup')], {});
    expect(doc).toContain('| needs-dedup | target does not claim dedup |');
    expect(doc).toContain(
      [
        "imspec certify --name 'Mosquitto 2.0' \\",
        '  --driver mqtt --target mqtt://127.0.0.1:18830 \\',
        "  --target-cmd 'exec scripts/targets/mosquitto.sh 18830 /tmp/imspec-mosquitto-2.0' \\",
        '  --start-timeout 1m \\',
        '  --config /tmp/imspec-mosquitto-2.0/mosquitto.conf \\',
        '  --expect-failures suites/expected/mosquitto-2.0.json \\',
        '  --seed 7 --out reports/certification',
      ].join('\n'),
    );
    expect(doc).toContain('listener 18830 127.0.0.1\npid_file /tmp/imspec-mosquitto-2.0/m.pid');
    expect(doc).not.toMatch(/41234|Xy12/);
    expect(doc).toContain('| drops | 1 |');
  });

  it('lists the expected failures whose cases were not selected', () => {
    const doc = render([result('fine', 'PASS')], {}, ['offline-kill-9', 'kill-after-accept']);
    expect(doc).toContain('## Expected failures not run');
    expect(doc).toContain('did not select: offline-kill-9, kill-after-accept.');
  });

  it('drops the runner user prefix and escapes markup in findings', () => {
    const doc = render([result('overflow', 'XFAIL', 'queue bound')], { overflow: 'x' });
    expect(doc).toContain('expected committed by bob; actual never &lt;committed>');
    expect(doc).not.toContain('20261122224314-48d260');
  });
});
