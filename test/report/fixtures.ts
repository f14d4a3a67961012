/**
 * Literal fixtures for the report tests: a small history and a RunResult with one case of every
 * verdict that matters to the reporters.
 */

import type { Finding, LedgerStats } from '../../src/checker/types.js';
import type { HistoryEvent } from '../../src/history/events.js';
import type { CaseResult, RunResult } from '../../src/report/types.js';

export function finding(requirement: string, level: Finding['level'], extra: Partial<Finding> = {}): Finding {
  return {
    kind: 'assertion',
    requirement,
    level,
    expected: `${requirement} holds`,
    actual: `${requirement} broken`,
    evidence: [],
    ...extra,
  };
}

export const STATS: LedgerStats = {
  sent: 3,
  accepted: 3,
  delivered: 2,
  lost: 1,
  appDuplicates: 0,
  wireDuplicates: 1,
  unknownOutcome: 0,
  recovered: 0,
  retransmits: 2,
  receiptsStored: 0,
  receiptsDelivered: 2,
  seqGaps: 0,
  schemaViolations: 0,
  requests: 6,
  unanswered: 0,
  ackLatencyMs: [0.8, 1.2, 3.5],
  receiptLatencyMs: [2.1, 4.4],
  deliveryLatencyMs: [1.9, 4.0],
};

export function caseResult(
  id: string,
  verdict: CaseResult['verdict'],
  extra: Partial<CaseResult> = {},
): CaseResult {
  return {
    id,
    title: `title of ${id}`,
    suite: 'core',
    file: `suites/core/${id}.yaml`,
    severity: 'MUST',
    covers: ['DEDUP-1'],
    verdict,
    durationMs: 120,
    seed: 42,
    findings: [],
    wireLog: [],
    replay: `imspec run suites/core --only ${id} --seed 42`,
    ...extra,
  };
}

/** The six frames of one message, then a duplicate push and a commit (docs/protocol.md section 1). */
export const EVENTS: HistoryEvent[] = [
  { kind: 'step', t: 0.5, index: 0, label: 'send alice→bob ×1', line: 7 },
  { kind: 'send', t: 1, actor: 'alice/phone', cmid: 'c1', to: 'bob', body: 'hello' },
  frame(1.1, 'alice/phone', 'out', 'msg:R', { rid: 'r1', cmid: 'c1', to: 'bob', body: 'hello' }),
  frame(2.2, 'alice/phone', 'in', 'msg:A', { rid: 'r1', cmid: 'c1', smid: 's1', ts: 1_700_000_000_000 }),
  frame(3.3, 'bob/laptop', 'in', 'msg:N', {
    smid: 's1',
    cmid: 'c1',
    from: 'alice',
    to: 'bob',
    body: 'hello',
    seq: 1,
    ts: 1,
  }),
  {
    kind: 'commit',
    t: 3.4,
    actor: 'bob/laptop',
    smid: 's1',
    cmid: 'c1',
    from: 'alice',
    seq: 1,
    body: 'hello',
    via: 'push',
  },
  frame(3.5, 'bob/laptop', 'out', 'ack:R', { rid: 'r2', upTo: 1 }),
  frame(4.6, 'bob/laptop', 'in', 'ack:A', { rid: 'r2', upTo: 1 }),
  frame(5.7, 'alice/phone', 'in', 'ack:N', { cmid: 'c1', smid: 's1', to: 'bob', status: 'delivered', ts: 2 }),
  frame(6.8, 'bob/laptop', 'in', 'msg:N', {
    smid: 's1',
    cmid: 'c1',
    from: 'alice',
    to: 'bob',
    body: 'hello',
    seq: 1,
    ts: 1,
  }),
  {
    kind: 'commit',
    t: 6.9,
    actor: 'bob/laptop',
    smid: 's1',
    cmid: 'c1',
    from: 'alice',
    seq: 1,
    body: 'hello',
    via: 'push',
  },
  { kind: 'close', t: 8, actor: 'bob/laptop', conn: 1, initiator: 'client', code: 1000, reason: '' },
];

function frame(
  t: number,
  actor: string,
  dir: 'in' | 'out',
  type: 'msg:R' | 'msg:A' | 'msg:N' | 'ack:R' | 'ack:A' | 'ack:N',
  members: Record<string, unknown>,
): HistoryEvent {
  const fields = { type, ...members };
  return { kind: 'frame', t, actor, conn: 1, dir, type, fields, raw: JSON.stringify(fields) };
}

/** A run with one case per interesting verdict, including text that needs escaping. */
export function sampleRun(): RunResult {
  const dup = finding('DEDUP-2', 'MUST', {
    kind: 'app-duplicate',
    expected: 'message c1 committed once by bob/laptop',
    actual: 'committed 2 times (seq 1 at +3.4ms and +6.9ms) <dup> & "quoted"',
    evidence: [5, 10],
    cmid: 'c1',
    smid: 's1',
  });
  return {
    runId: 'run-1',
    startedAt: '2024-05-01T10:00:00.000Z',
    durationMs: 31_234,
    target: 'ws://127.0.0.1:7000',
    driver: 'ran',
    seed: 42,
    cases: [
      caseResult('hello-count-first', 'PASS', { covers: ['AUTH-3', 'HELLO-1'], stats: STATS }),
      caseResult('dedup-no-second-entry', 'FAIL', {
        findings: [dup],
        reason: 'DEDUP-2: expected message c1 committed once, actual committed 2 times',
        wireLog: ['> +3.400ms bob/laptop commit smid=s1 cmid=c1 seq=1 via push', '  …'],
        stats: STATS,
      }),
      caseResult('standin-receipt', 'WARN', {
        severity: 'SHOULD',
        covers: ['RCPT-1'],
        findings: [finding('RCPT-1', 'MUST', { kind: 'missing-receipt' })],
        reason: 'RCPT-1: expected stored receipt, actual none',
      }),
      caseResult('multi-device-cursors', 'UNSUPPORTED', {
        covers: ['MDEV-1'],
        reason: 'target does not claim multi-device',
        durationMs: 0,
      }),
      caseResult('sync-paging', 'XFAIL', { covers: ['SYNC-1'], reason: 'known: server pages off by one' }),
      caseResult('repush-timer', 'ERROR', {
        covers: ['REPUSH-1'],
        reason: 'step 3 (line 12) timed out after 5000 ms',
      }),
    ],
    staleExemptions: [],
    notRunExemptions: [],
    exitCode: 1,
  };
}
