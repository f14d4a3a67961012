/**
 * A case whose precondition never held does not judge its rule: it is INCONCLUSIVE with the
 * reason, counted apart, exit 0 unless --strict. Preconditions are written (`preconditions:`),
 * derived from the expectations (allAccepted, standinWithin), or set up by a step (a `send` that
 * awaits acceptance). A MUST finding the frames prove still FAILs. Real embedded servers.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/report/junit.js';
import { runSuites } from '../../src/runner/run.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-preconditions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** bob never leaves, so nothing is ever stored for him offline. */
const NEVER_OFFLINE = `id: never-offline
title: stand-in receipts for an offline receiver
covers: [RCPT-1, OFF-1]
requires: [standin-receipt]
users: { alice: phone, bob: phone }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 3 }
  - waitFor: settled
preconditions:
  - acceptedOffline: all
expect: { receipt: any }
`;

describe('a case whose precondition did not hold', () => {
  it('is INCONCLUSIVE with the precondition and its numbers, exit 0, and 1 with --strict', async () => {
    const file = scenario('never-offline', NEVER_OFFLINE);
    const run = await runSuites({ paths: [file], seed: 3, reports: [] });
    const [result] = run.cases;
    expect(result?.verdict).toBe('INCONCLUSIVE');
    expect(result?.reason).toBe(
      'precondition acceptedOffline did not hold: expected every accepted message accepted while its receiver had no device connected (stored offline), actual 0 of 3 accepted messages were; for the others the receiver was still connected (or had left less than 250 ms before)',
    );
    expect(result?.preconditions).toHaveLength(1);
    expect(result?.preconditions?.[0]?.evidence).toHaveLength(3);
    expect(result?.wireLog.some((l) => l.startsWith('>'))).toBe(true);
    expect(run.exitCode).toBe(0);
    const skipped = renderJunit(run);
    expect(skipped).toContain(
      '<skipped type="INCONCLUSIVE" message="inconclusive: precondition acceptedOffline',
    );

    const strict = await runSuites({ paths: [file], seed: 3, reports: [], strict: true });
    expect(strict.cases[0]?.verdict).toBe('INCONCLUSIVE');
    expect(strict.exitCode).toBe(1);
    expect(strict.strict).toBe(true);
  });

  it('derives a stored-offline precondition from expect.standinWithin', async () => {
    const file = scenario(
      'standin-online',
      NEVER_OFFLINE.replace('id: never-offline', 'id: standin-online')
        .replace('preconditions:\n  - acceptedOffline: all\n', '')
        .replace('expect: { receipt: any }', 'expect: { receipt: any, standinWithin: 500ms }'),
    );
    const [result] = (await runSuites({ paths: [file], seed: 3, reports: [] })).cases;
    expect(result?.verdict).toBe('INCONCLUSIVE');
    expect(result?.reason).toMatch(
      /^precondition acceptedOffline \(from expect\.standinWithin\) did not hold: expected at least 1 message accepted while the receiver had no device connected/,
    );
  });

  it('stops at a send that awaited acceptance when a message was given up instead (its msg:R lost)', async () => {
    const file = scenario(
      'lost-for-good',
      `id: lost-for-good
title: a message the network swallowed whole
covers: [DEDUP-1]
users: { alice: phone, bob: phone }
client: { maxAttempts: 1, retransmit: 300ms }
faults:
  - { id: swallow, match: { op: msg, kind: R }, nth: 2, action: drop }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 3, await: accepted }
  - wait: 10s
`,
    );
    const [result] = (await runSuites({ paths: [file], seed: 3, reports: [] })).cases;
    expect(result?.verdict).toBe('INCONCLUSIVE');
    expect(result?.reason).toMatch(
      /^precondition send \(line 10\) did not hold: expected all 3 messages accepted before the next step, actual 1 given up \(or refused\) first: cmid \S+ \(\+1 more\)$/,
    );
    // It stopped there: the 10 s wait never ran.
    expect(result?.durationMs).toBeLessThan(10_000);
    expect(result?.preconditions?.map((p) => p.precondition)).toEqual([
      'send (line 10)',
      'accepted (from expect.allAccepted)',
    ]);
  });

  it('still FAILs when the server broke a MUST the frames prove', async () => {
    // The server acknowledges messages for an offline receiver without storing them (OFF-1): that
    // is proven for the two sent, whatever became of the precondition asking for five.
    const file = scenario(
      'offline-but-lost',
      `id: offline-but-lost
title: messages stored for an offline receiver reach it
covers: [OFF-1]
users: { alice: phone, bob: phone }
steps:
  - connect: [alice, bob]
  - disconnect: bob
  - wait: 300ms
  - send: { from: alice, to: bob, count: 2, await: accepted }
  - connect: bob
  - waitFor: { condition: quiet, quiet: 1s, timeout: 10s }
preconditions:
  - acceptedOffline: 5
expect: { receipt: none }
`,
    );
    const run = await runSuites({ paths: [file], seed: 3, reports: [], serverFaults: ['lost-offline'] });
    expect(run.cases[0]?.verdict).toBe('FAIL');
    expect(run.cases[0]?.reason).toMatch(/^OFF-1: /);
    expect(run.cases[0]?.preconditions?.[0]?.precondition).toBe('acceptedOffline');
  });
});
