/**
 * RabbitMQ 3.10 (MQTT plugin) certified through the CLI: a subset of the core, servers and faults
 * suites against a real node started by scripts/targets/rabbitmq.sh, judged by
 * suites/expected/rabbitmq-3.10.json. An Erlang node takes 13–50 s to start here, so the file
 * starts it once (one run, whose kill -9 case restarts it): the run is green on the file, and its
 * own findings, judged again with deliberately wrong files, are red on a missing and on a stale
 * entry — as docs/reports.md promises.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRunResult, decideVerdict, parseExpectedFailures } from '../../src/report/index.js';
import type { CaseResult } from '../../src/report/types.js';
import { type CliRun, certifyRun, cleanup, RABBITMQ, readExpected } from './cli.js';

const EXPECTED = 'suites/expected/rabbitmq-3.10.json';

/** A case's verdict before its exemption: what the server did, judged by the case alone. */
function raw(c: CaseResult): CaseResult {
  if (c.verdict !== 'XFAIL') return c;
  return { ...c, ...decideVerdict({ severity: c.severity, findings: c.findings }) };
}

/** The run's cases judged by `entries` instead of the file it ran with. */
function judged(run: CliRun, entries: readonly object[]) {
  const exemptions = parseExpectedFailures(JSON.stringify(entries), 'wrong.json');
  const { runId, startedAt, durationMs, target, driver, seed } = run.report;
  const info = { runId, startedAt, durationMs, target, driver, seed };
  return buildRunResult(info, run.report.cases.map(raw), exemptions).run;
}

describe('RabbitMQ 3.10 certification (imspec run --driver mqtt with its expected failures)', () => {
  let run: CliRun;
  beforeAll(async () => {
    run = await certifyRun(
      RABBITMQ,
      EXPECTED,
      [
        'multi-device-cursors', // core: MDEV-1, MQTT has no pending count
        'dedup-window', // core: needs dedup, which MQTT has not
        'retransmit-after-lost-ack', // servers: a WARN is expected (QoS 1 duplicate)
        'lost-acks-redelivery', // servers: DUP=1 redelivery behind the TCP fault proxy (WARN expected)
        'crashed-device-offline', // servers: passes, one queue per device
        'offline-kill-9', // servers: passes, PUBACK only after the durable queue confirmed
      ],
      300_000,
    );
  }, 320_000);
  afterAll(() => cleanup(RABBITMQ));

  it('exits 0 with every listed deviation XFAIL, the kill -9 survived and unclaimed cases UNSUPPORTED', () => {
    expect(run.verdicts, run.output).toEqual({
      'multi-device-cursors': 'XFAIL',
      'dedup-window': 'UNSUPPORTED',
      'retransmit-after-lost-ack': 'XFAIL',
      'lost-acks-redelivery': 'XFAIL',
      'crashed-device-offline': 'PASS',
      'offline-kill-9': 'PASS',
    });
    expect(run.report.staleExemptions).toEqual([]);
    // The entry of a case this run did not select is listed, not refused.
    expect(run.report.notRunExemptions).toEqual(['kill-after-accept']);
    expect(run.code, run.output).toBe(0);
  });

  it('measured what the readings say: 20 messages across the kill -9, 5 DUP=1 redeliveries', () => {
    const byId = new Map(run.report.cases.map((c) => [c.id, c]));
    expect(byId.get('offline-kill-9')?.stats).toMatchObject({
      sent: 20,
      accepted: 20,
      delivered: 20,
      lost: 0,
    });
    expect(byId.get('lost-acks-redelivery')?.stats).toMatchObject({
      delivered: 5,
      wireDuplicates: 5,
      lost: 0,
    });
  });

  it('is red when the file misses a deviation (FAIL) or lists a case that passes (stale)', () => {
    const wrong = judged(run, [
      ...readExpected(EXPECTED).filter((e) => e.id !== 'multi-device-cursors'),
      { id: 'offline-kill-9', reason: 'deliberately wrong: RabbitMQ keeps what it acknowledged' },
    ]);
    const verdicts = Object.fromEntries(wrong.cases.map((c) => [c.id, c.verdict]));
    expect(verdicts).toMatchObject({ 'multi-device-cursors': 'FAIL', 'offline-kill-9': 'PASS' });
    expect(wrong.staleExemptions).toEqual(['offline-kill-9']);
    expect(wrong.exitCode).toBe(1);
    // And the file itself, applied the same way, is green: the re-judging changes nothing else.
    expect(judged(run, readExpected(EXPECTED)).exitCode).toBe(0);
  });
});
