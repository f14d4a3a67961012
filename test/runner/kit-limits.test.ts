/**
 * A case that did not do what it says never passes: when the kit runs out of its own time (the
 * case deadline, a `waitFor` timeout) in any step, the verdict is ERROR with a reason naming the
 * step and how far it got — never PASS, and never a finding against a server requirement. A MUST
 * finding the frames prove still fails the case. Real embedded servers, real sockets.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import type { CaseResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-kit-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runOne(
  name: string,
  text: string,
  extra: { timeoutMs?: number; serverFaults?: string[] } = {},
) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const run = await runSuites({ paths: [file], seed: 5, reports: [], ...extra });
  return { run, result: run.cases[0] as CaseResult };
}

const head = (id: string, timeout: string) => `id: ${id}
title: ${id}
covers: [DEDUP-1, MSG-1]
timeout: ${timeout}
users: { alice: phone, bob: phone }
`;

/** No finding may name a server requirement because the kit ran out of time. */
function noServerBlame(result: CaseResult) {
  expect(result.findings.filter((f) => f.kind === 'assertion')).toEqual([]);
}

describe('a case the kit could not finish in time', () => {
  it('is ERROR when the deadline passes during a paced send, saying how many messages went out', async () => {
    const { run, result } = await runOne(
      'paced-send',
      `${head('paced-send', '1500ms')}steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 3000, rate: 100 }
`,
    );
    expect(result.verdict).toBe('ERROR');
    expect(result.reason).toMatch(
      /^kit limit: case deadline \(1500 ms\) passed in step 2 \(send, line 8\): \d+ of 3000 messages sent/,
    );
    noServerBlame(result);
    expect(run.exitCode).toBe(1);
  });

  it('is ERROR when the deadline passes during an unpaced burst, never PASS with requests in flight', async () => {
    const { result } = await runOne(
      'huge-burst',
      `${head('huge-burst', '1s')}steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 100000000 }
`,
    );
    expect(result.verdict).toBe('ERROR');
    expect(result.reason).toMatch(/passed in step 2 \(send, line 8\): \d+ of 100000000 messages sent/);
  });

  it('is ERROR, not a MUST failure of covers[0], when --timeout is too short for the case', async () => {
    const { result } = await runOne(
      'tiny-timeout',
      `${head('tiny-timeout', '30s')}steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 1 }
  - waitFor: settled
`,
      { timeoutMs: 1 },
    );
    expect(result.verdict).toBe('ERROR');
    expect(result.reason).toMatch(
      /^kit limit: case deadline \(1 ms\) passed before step \d \(\w+, line \d+\)/,
    );
    noServerBlame(result);
  });

  it('is ERROR when a wait or a waitFor is cut short by the deadline, or a waitFor times out', async () => {
    const wait = await runOne(
      'long-wait',
      `${head('long-wait', '500ms')}steps:
  - connect: [alice]
  - wait: 5s
`,
    );
    expect(wait.result.verdict).toBe('ERROR');
    expect(wait.result.reason).toContain('in step 2 (wait, line 8): 5000 ms wait cut short');
    // bob never connects, so alice's message is never delivered: the waitFor cannot hold.
    const waitFor = await runOne(
      'wait-for-delivery',
      `${head('wait-for-delivery', '30s')}steps:
  - connect: [alice]
  - send: { from: alice, to: bob, count: 2 }
  - waitFor: { condition: delivered, timeout: 600ms }
expect: { receipt: any }
`,
    );
    expect(waitFor.result.verdict).toBe('ERROR');
    expect(waitFor.result.reason).toMatch(
      /^kit limit: step 3 \(waitFor, line 9\): delivered not reached within 600 ms: 2 of 2 messages not yet delivered \(2 stored\)/,
    );
    noServerBlame(waitFor.result);
  });

  it('is FAIL, not ERROR, when a frame the server sent breaks the schema and stops the case (FRAME-4)', async () => {
    // --fault bad-schema: every third frame carries an unknown member; one of them answers a page.
    let events: readonly HistoryEvent[] = [];
    const run = await runSuites(
      {
        paths: [new URL('../../suites/core/schema-conformance.yaml', import.meta.url).pathname],
        seed: 5,
        reports: [],
        serverFaults: ['bad-schema'],
      },
      { reporters: [{ onCaseHistory: (r) => (events = r.events) }] },
    );
    const result = run.cases[0] as CaseResult;
    expect(result.verdict).toBe('FAIL');
    expect(result.reason).toMatch(
      /; the case stopped early, in step \d+ \(page, line \d+\): the answer to sync:R/,
    );
    // The frame the driver refused is a FRAME-4 finding's evidence.
    const refused = events.findIndex((e) => e.kind === 'frame' && e.type === 'sync:A' && e.invalid);
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(result.findings.some((f) => f.requirement === 'FRAME-4' && f.evidence.includes(refused))).toBe(
      true,
    );
  });

  it('is ERROR when the deadline cuts a probe short, not a failure of the requirement it probes', async () => {
    // The embedded server closes a silent socket after 2 s (AUTH-4); the case has 800 ms.
    const { result } = await runOne(
      'cut-probe',
      `id: cut-probe
title: cut-probe
covers: [AUTH-4]
timeout: 800ms
users: { alice: phone }
steps:
  - probe:
      user: alice
      login: none
      exchange:
        - expect: { type: close, closeCode: 4408 }
`,
    );
    expect(result.verdict).toBe('ERROR');
    expect(result.reason).toMatch(
      /in step 1 \(probe, line 7\): probe waiting for close 4408: still open after \d+ ms/,
    );
    noServerBlame(result);
  });

  it('is ERROR when the deadline cuts the settling short with messages in flight', async () => {
    const { result } = await runOne(
      'cut-settle',
      `${head('cut-settle', '1s')}steps:
  - connect: [alice, bob]
  - misbehave: { bots: bob, withholdAcks: true }
  - send: { from: alice, to: bob, count: 3 }
`,
    );
    expect(result.verdict).toBe('ERROR');
    expect(result.reason).toMatch(
      /^kit limit: case deadline \(1000 ms\) passed while settling after the last step: 3 of 3 messages not yet delivered/,
    );
  });

  it('still FAILs on a MUST finding the frames prove, saying the case was cut short', async () => {
    // Without dedup, a retransmission (after a lost receipt) is stored twice: DEDUP-1 is broken
    // before the deadline cuts the paced send short.
    const { result } = await runOne(
      'cut-but-broken',
      `${head('cut-but-broken', '2500ms')}requires: [dedup]
client: { retransmit: 200ms }
steps:
  - connect: [alice, bob]
  - misbehave: { bots: alice, loseReceipts: 1 }
  - send: { from: alice, to: bob, count: 1000, rate: 50 }
`,
      { serverFaults: ['no-dedup'] },
    );
    expect(result.verdict).toBe('FAIL');
    expect(result.reason).toMatch(
      /^DEDUP-\d: .*; the case was cut short: case deadline \(2500 ms\) passed in step 3/,
    );
  });
});
