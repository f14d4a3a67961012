/**
 * The `committed` and `settled` waits hold out only for what a device is owed, by the checker's own
 * rule (checker/owed.ts): a device that first logs in after a message was stored (NEWDEV-1) or one
 * that committed it before a reinstall is not waited for — the server rightly never sends those, so
 * the wait could only end at its deadline as an ERROR. Literal bot states, then real runs against
 * the embedded server.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeviceStart } from '../../src/checker/owed.js';
import { CAPS } from '../../src/protocol/frames.js';
import type { CaseResult } from '../../src/report/types.js';
import type { CaseBot, OutboxView } from '../../src/runner/case-bot.js';
import {
  type ConditionContext,
  explainUnmet,
  explainUnreachable,
  holds,
} from '../../src/runner/conditions.js';
import { runSuites } from '../../src/runner/run.js';

interface FakeDevice {
  actor: string;
  start: DeviceStart;
  /** smid → seq of what it committed. */
  committed: Map<string, number>;
  connected?: boolean;
  reconnectFailure?: { since: number; attempts: number; error: string };
}

function bot(d: FakeDevice, outbox: OutboxView[] = []): CaseBot {
  const [user, device] = d.actor.split('/') as [string, string];
  return {
    actor: d.actor,
    user,
    device,
    connected: d.connected ?? true,
    reconnectFailure: d.reconnectFailure,
    start: d.start,
    outboxEntries: () => outbox,
    hasCommitted: (smid: string) => d.committed.has(smid),
    seqOf: (smid: string) => d.committed.get(smid),
  } as unknown as CaseBot;
}

function context(bots: CaseBot[], clock = { t: 0 }): ConditionContext {
  return {
    bots,
    devicesOf: (user) => bots.filter((b) => b.user === user),
    receipt: 'none',
    lastEventAt: () => 0,
    now: () => clock.t,
    quietMs: 0,
    caps: CAPS,
    graceMs: 2_000,
    receiptClock: new Map(),
  };
}

const online = (t: number, base = 0): DeviceStart => ({
  firstBase: base,
  firstHadState: false,
  firstSessionT: t,
});
/** alice sent one message at t = 10, accepted as s1 (seq 1 in bob's inbox). */
const sent: OutboxView = { cmid: 'c1', to: 'bob', status: 'accepted', smid: 's1', sentAt: 10 };

describe('which devices a wait holds out for', () => {
  it('a device that first logged in after the message was stored is not waited for (its seq is known)', () => {
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [sent]);
    const phone = bot({ actor: 'bob/phone', start: online(2), committed: new Map([['s1', 1]]) });
    // hello:A said maxSeq 1, pending 0: the message was history when the tablet first came.
    const tablet = bot({ actor: 'bob/tablet', start: online(50, 1), committed: new Map() });
    const ctx = context([alice, phone, tablet]);
    expect(holds('committed', ctx)).toBe(true);
    expect(holds('settled', ctx)).toBe(true);
  });

  it('…nor when no device has it: a first login after the first msg:R went out is not owed it', () => {
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [sent]);
    const tablet = bot({ actor: 'bob/tablet', start: online(50, 1), committed: new Map() });
    expect(holds('settled', context([alice, tablet]))).toBe(true);
  });

  it('a device that was online before the message, or started with local state, is still waited for', () => {
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [sent]);
    const phone = bot({ actor: 'bob/phone', start: online(2), committed: new Map([['s1', 1]]) });
    const tablet = bot({ actor: 'bob/tablet', start: online(5), committed: new Map() });
    const ctx = context([alice, phone, tablet]);
    expect(holds('committed', ctx)).toBe(false);
    expect(holds('settled', ctx)).toBe(false);
    expect(explainUnmet('settled', ctx)).toBe('1 accepted messages not committed by bob/tablet');
    const withState = bot({
      actor: 'bob/tablet',
      start: { firstBase: 0, firstHadState: true, firstSessionT: 50 },
      committed: new Map(),
    });
    expect(holds('settled', context([alice, withState]))).toBe(false);
  });

  it('an offline device is not waited for', () => {
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [sent]);
    const tablet = bot({ actor: 'bob/tablet', start: online(5), committed: new Map(), connected: false });
    expect(holds('settled', context([alice, tablet]))).toBe(true);
  });
});

describe('a delivered receipt the wait holds out for', () => {
  /** alice's message is stored (bob was offline); bob has since committed it. */
  const stored: OutboxView = { ...sent, status: 'stored' };

  it('is waited for one grace (+ 2 s for the ack after the commit) of connected sender time, then left to the checker', () => {
    const clock = { t: 100 };
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [stored]);
    const phone = bot({ actor: 'bob/phone', start: online(2), committed: new Map([['s1', 1]]) });
    const ctx = { ...context([alice, phone], clock), receipt: 'delivered' as const };
    expect(holds('settled', ctx)).toBe(false);
    expect(holds('delivered', ctx)).toBe(false);
    clock.t = 4_099;
    expect(holds('settled', ctx)).toBe(false);
    clock.t = 4_100;
    expect(holds('settled', ctx)).toBe(true);
    expect(holds('delivered', ctx)).toBe(true);
  });

  it('is waited for while the receiver has not committed it, however long', () => {
    const clock = { t: 100 };
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [stored]);
    const phone = bot({ actor: 'bob/phone', start: online(2), committed: new Map() });
    const ctx = { ...context([alice, phone], clock), receipt: 'delivered' as const };
    expect(holds('settled', ctx)).toBe(false);
    clock.t = 60_000;
    expect(holds('settled', ctx)).toBe(false);
    expect(explainUnmet('settled', ctx)).toContain('1 of 1 messages not yet delivered (1 stored)');
  });

  it('restarts its grace when the sender goes offline: only connected time counts', () => {
    const clock = { t: 100 };
    const device: FakeDevice = { actor: 'alice/phone', start: online(1), committed: new Map() };
    const phone = bot({ actor: 'bob/phone', start: online(2), committed: new Map([['s1', 1]]) });
    const ctx = { ...context([bot(device, [stored]), phone], clock), receipt: 'delivered' as const };
    expect(holds('settled', ctx)).toBe(false);
    device.connected = false;
    const offline = { ...ctx, bots: [bot(device, [stored]), phone] };
    clock.t = 5_000;
    expect(holds('settled', offline)).toBe(false);
    device.connected = true;
    const back = { ...ctx, bots: [bot(device, [stored]), phone] };
    expect(holds('settled', back)).toBe(false);
    clock.t = 8_999;
    expect(holds('settled', back)).toBe(false);
    clock.t = 9_000;
    expect(holds('settled', back)).toBe(true);
  });
});

describe('a wait over some messages only (a send step awaiting its own)', () => {
  it('reads only the entries it counts, in holds and in explainUnmet', () => {
    const other: OutboxView = { cmid: 'c2', to: 'bob', status: 'accepted', smid: 's2', sentAt: 20 };
    const done: OutboxView = { ...sent, status: 'delivered' };
    const alice = bot({ actor: 'alice/phone', start: online(1), committed: new Map() }, [done, other]);
    const all = context([alice]);
    expect(holds('delivered', all)).toBe(false);
    expect(holds('delivered', { ...all, counts: (e) => e.cmid === 'c1' })).toBe(true);
    const second = { ...all, counts: (e: OutboxView) => e.cmid === 'c2' };
    expect(holds('delivered', second)).toBe(false);
    expect(explainUnmet('delivered', second)).toBe('1 of 1 messages not yet delivered (1 accepted)');
  });
});

const dir = mkdtempSync(join(tmpdir(), 'imspec-conditions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runOne(name: string, steps: string): Promise<CaseResult> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `id: ${name}
title: ${name}
covers: [PUSH-1, NEWDEV-1]
requires: [multi-device]
timeout: 20s
users: { alice: phone, bob: [phone, tablet] }
steps:
${steps}`,
  );
  const run = await runSuites({ paths: [file], seed: 3, reports: [] });
  return run.cases[0] as CaseResult;
}

describe('settled after a first login or a reinstall, on the embedded server', () => {
  it('a device that first logs in after the messages were stored does not keep settled waiting', async () => {
    const result = await runOne(
      'new-device-settles',
      `  - connect: [alice, bob/phone]
  - send: { from: alice, to: bob, count: 3 }
  - waitFor: { condition: settled, timeout: 5s }
  - connect: { bots: bob/tablet, state: none }
  - waitFor: { condition: settled, timeout: 2s }
`,
    );
    expect(result.reason).toBeUndefined();
    expect(result.verdict).toBe('PASS');
  });

  it('a device reinstalled after it committed and acked the messages does not keep settled waiting', async () => {
    const result = await runOne(
      'reinstall-settles',
      `  - connect: [alice, bob/phone]
  - send: { from: alice, to: bob, count: 3 }
  - waitFor: { condition: settled, timeout: 5s }
  - disconnect: bob/phone
  - connect: { bots: bob/phone, state: none }
  - waitFor: { condition: settled, timeout: 2s }
`,
    );
    expect(result.reason).toBeUndefined();
    expect(result.verdict).toBe('PASS');
  });

  it('a receipt due while the sender was offline does not keep settled waiting (RCPT-2)', async () => {
    // bob acks while alice is away: the server owes the delivered receipt to no connection, and
    // the stored receipt alice got already ended her retransmission. Before the wait gave up
    // after one grace, this case ended as an ERROR at its settled timeout.
    const result = await runOne(
      'receipt-while-offline',
      `  - connect: alice
  - send: { from: alice, to: bob, count: 3 }
  - waitFor: { condition: receipted, timeout: 5s }
  - disconnect: { bots: alice, mode: crash }
  - connect: bob/phone
  - waitFor: { condition: committed, timeout: 5s }
  - connect: alice
  - waitFor: { condition: settled, timeout: 8s }
expect:
  receipt: delivered
`,
    );
    expect(result.reason).toBeUndefined();
    expect(result.verdict).toBe('PASS');
  });
});

describe('a send that awaits delivered, on the embedded server', () => {
  // bob's first session is cut right after hello:A; 200 ms later, once the server has seen the
  // reset, alice's messages are stored (stand-in receipts). bob is back 1 s after the cut, syncs
  // and commits them while the send step still waits. (Sent before the server saw the reset, they
  // would be pushed to the dead session instead, and a receipt resent on retransmission could pass.)
  const file = join(dir, 'stored-then-committed.yaml');
  writeFileSync(
    file,
    `id: stored-then-committed
title: a send awaiting delivered, its receiver back only after the messages were stored
covers: [RCPT-1, RCPT-2]
users: { alice: phone, bob: phone }
client: { reconnectDelay: 1s }
timeout: 30s
faults:
  - { id: drop-bob, match: { op: hello, kind: A, user: bob }, nth: 1, action: { type: cut, mode: reset, forward: true } }
steps:
  - connect: [alice, bob]
  - wait: 200ms
  - send: { from: alice, to: bob, count: 2, await: delivered }
expect: { receipt: delivered }
`,
  );

  it('passes when the delivered receipts follow the commits', async () => {
    const run = await runSuites({ paths: [file], seed: 3, reports: [] });
    const result = run.cases[0] as CaseResult;
    expect(result.reason).toBeUndefined();
    expect(result.stats?.receiptsStored).toBe(2);
    expect(result.verdict).toBe('PASS');
  });

  it('stops one grace after the commits when they never come: RCPT-2 and the unmet step, not the case deadline', async () => {
    const run = await runSuites({
      paths: [file],
      seed: 3,
      reports: [],
      serverFaults: ['no-delivered-receipt'],
    });
    const result = run.cases[0] as CaseResult;
    expect(result.stats?.receiptsStored).toBe(2);
    expect(result.verdict).toBe('FAIL');
    expect(result.findings.some((f) => f.requirement === 'RCPT-2')).toBe(true);
    // Before the send step shared the wait's rule, it held out to the 30 s case deadline (a kit
    // limit); now the step ends once the grace has passed, with the precondition it could not meet.
    expect(result.preconditions?.[0]?.actual).toMatch(
      /^2 committed by the receiver but only stored for the sender/,
    );
  }, 40_000);
});

describe('a wait on devices the target no longer lets in', () => {
  const refused = 'cannot connect to ws://127.0.0.1:7400: connect ECONNREFUSED 127.0.0.1:7400';
  const alice = bot(
    {
      actor: 'alice/phone',
      start: online(0),
      committed: new Map(),
      connected: false,
      reconnectFailure: { since: 2034.4, attempts: 3, error: refused },
    },
    [{ cmid: 'c1', to: 'bob', status: 'pending', sentAt: 10 }],
  );
  const bob = bot({
    actor: 'bob/phone',
    start: online(0),
    committed: new Map(),
    connected: false,
    reconnectFailure: { since: 1990, attempts: 4, error: refused },
  });
  const carol = bot({
    actor: 'carol/phone',
    start: online(0),
    committed: new Map(),
    connected: false,
    reconnectFailure: { since: 2500, attempts: 1, error: 'hello timed out' },
  });

  it('says which devices could not reconnect, since when and with what, before what is missing', () => {
    expect(explainUnmet('accepted', context([alice, bob]))).toBe(
      `alice/phone, bob/phone could not reconnect from 1990 ms on (4 attempts; last: ${refused}); ` +
        '1 of 1 messages not yet accepted (1 pending)',
    );
  });

  it('groups the devices by what their attempts failed with, and says nothing when all reconnect', () => {
    expect(explainUnreachable([alice, carol])).toBe(
      `alice/phone could not reconnect from 2034 ms on (3 attempts; last: ${refused}); ` +
        'carol/phone could not reconnect from 2500 ms on (1 attempt; last: hello timed out)',
    );
    const up = bot({ actor: 'dave/phone', start: online(0), committed: new Map() });
    expect(explainUnreachable([up])).toBe('');
  });
});
