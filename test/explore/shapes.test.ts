/**
 * The composite shapes and the rendering they need, without a server: each shape is drawn only
 * where the target can do what it needs (raw frames for probes, kill -9 for a restart, delivered
 * receipts for a send that waits for one), renders as a scenario the loader accepts, a device's
 * first login is plain, a case expects delivered receipts where the target claims them, and the
 * shrinker cuts frame rules a failure does not need.
 */

import { describe, expect, it } from 'vitest';
import { EXPLORE_DEFAULTS } from '../../src/explore/config.js';
import { generateCase } from '../../src/explore/generate.js';
import type { FrameFault, Operation, TargetAbilities } from '../../src/explore/operations.js';
import { renderCase } from '../../src/explore/render.js';
import { shrinkFrameFaults } from '../../src/explore/shrink.js';
import { loadScenarioText } from '../../src/scenarios/index.js';

const RICH: TargetAbilities = {
  caps: [
    'dedup',
    'paged-sync',
    'backward-sync',
    'multi-device',
    'standin-receipt',
    'delivered-receipt',
    'server-repush',
  ],
  maxBodyBytes: 16_384,
  canKill: true,
  frameFaults: true,
  rawFrames: true,
  helloTimeoutMs: 10_000,
};

function all(target: TargetAbilities, seed = 1, count = 300): Operation[][] {
  return Array.from({ length: count }, (_, i) => generateCase(seed, i, EXPLORE_DEFAULTS, target).operations);
}

const meta = { id: 's', title: 't', comment: [] };

describe('explore shapes', () => {
  it('draws every shape on a target that can do everything', () => {
    const cases = all(RICH);
    const flat = cases.flat();
    expect(flat.some((o) => o.op === 'badLogin')).toBe(true);
    expect(flat.some((o) => o.op === 'silentSocket' && o.helloTimeoutMs === 10_000)).toBe(true);
    expect(flat.some((o) => o.op === 'wait' && o.after === 'repushMs')).toBe(true);
    // ackThenKill: a send that waits for msg:A, then kill -9 at once.
    expect(
      cases.some((ops) =>
        ops.some((o, i) => o.op === 'send' && o.await === 'accepted' && ops[i + 1]?.op === 'kill'),
      ),
    ).toBe(true);
    // serverCursor: a send waiting for its delivered receipt, later a login trusting the server's cursor.
    expect(
      cases.some((ops) =>
        ops.some(
          (o, i) =>
            o.op === 'send' &&
            o.await === 'delivered' &&
            ops.slice(i).some((p) => p.op === 'connect' && p.state === 'server'),
        ),
      ),
    ).toBe(true);
    // catchUpCrash: a login, a short wait, a crash of the same device.
    expect(
      cases.some((ops) =>
        ops.some(
          (o, i) =>
            o.op === 'connect' &&
            ops[i + 1]?.op === 'wait' &&
            ops[i + 2]?.op === 'disconnect' &&
            (ops[i + 2] as { bot: string }).bot === o.bot,
        ),
      ),
    ).toBe(true);
  });

  it('never draws a shape the target cannot support', () => {
    const noRaw = all({ ...RICH, rawFrames: false }).flat();
    expect(noRaw.some((o) => o.op === 'badLogin' || o.op === 'silentSocket')).toBe(false);
    const noTimeout = all({ ...RICH, helloTimeoutMs: undefined }).flat();
    expect(noTimeout.some((o) => o.op === 'silentSocket')).toBe(false);
    const noKill = all({ ...RICH, canKill: false }).flat();
    expect(noKill.some((o) => o.op === 'kill')).toBe(false);
    const noDelivered = all({ ...RICH, caps: RICH.caps.filter((c) => c !== 'delivered-receipt') }).flat();
    expect(noDelivered.some((o) => o.op === 'send' && o.await === 'delivered')).toBe(false);
  });

  it('renders every case of a rich target as a scenario the loader accepts, probes included', () => {
    for (let i = 0; i < 150; i++) {
      const r = renderCase(generateCase(3, i, EXPLORE_DEFAULTS, RICH), EXPLORE_DEFAULTS, {
        ...meta,
        id: `x-${i}`,
      });
      expect(() => loadScenarioText(r.text, `x-${i}.yaml`), r.text).not.toThrow();
    }
  });

  it('renders a wrong-token login and a silent socket as probes, with room in the deadline for the hello timeout', () => {
    const r = renderCase(
      {
        users: { u1: ['d1'], u2: ['d1'] },
        operations: [
          { op: 'connect', bot: 'u1/d1', state: 'keep' },
          { op: 'badLogin', bot: 'u2/d1' },
          { op: 'silentSocket', bot: 'u2/d1', helloTimeoutMs: 3000 },
          { op: 'send', from: 'u1/d1', to: 'u2', count: 1, size: 8, text: 'ascii', rate: 0 },
        ],
      },
      EXPLORE_DEFAULTS,
      meta,
    );
    const s = loadScenarioText(r.text, 'p.yaml');
    expect(s.covers).toEqual(expect.arrayContaining(['AUTH-2', 'AUTH-4']));
    expect(s.steps.filter((x) => x.op === 'probe')).toHaveLength(2);
    expect(r.text).toContain('login: wrong');
    expect(r.text).toContain('timeout: limits.helloTimeoutMs');
    expect(r.text).toContain(`timeout: ${EXPLORE_DEFAULTS.caseTimeoutMs + 5000}ms`);
  });

  it("gives a paced send's own duration room in the case deadline, and an unpaced one none", () => {
    // Seen: 378 messages at 24 per second (15.75 s) in a 20 s case left the settle wait too
    // little time: a kit ERROR, not the server's doing.
    const paced = (rate: number) =>
      renderCase(
        {
          users: { u1: ['d1'], u2: ['d1'] },
          operations: [
            { op: 'connect', bot: 'u1/d1', state: 'keep' },
            { op: 'send', from: 'u1/d1', to: 'u2', count: 378, size: 8, text: 'ascii', rate },
          ],
        },
        EXPLORE_DEFAULTS,
        meta,
      ).text;
    expect(paced(24)).toContain(`timeout: ${EXPLORE_DEFAULTS.caseTimeoutMs + 15_750}ms`);
    expect(paced(0)).toContain(`timeout: ${EXPLORE_DEFAULTS.caseTimeoutMs}ms`);
  });

  it('makes a first login plain and expects delivered receipts unless a device was reinstalled, a kill -9 included', () => {
    const base = {
      users: { u1: ['d1'], u2: ['d1'] },
      receipt: 'delivered' as const,
      operations: [
        { op: 'connect', bot: 'u1/d1', state: 'server' },
        { op: 'connect', bot: 'u2/d1', state: 'keep' },
        { op: 'send', from: 'u1/d1', to: 'u2', count: 1, size: 8, text: 'ascii', rate: 0 },
      ] as Operation[],
    };
    const first = renderCase(base, EXPLORE_DEFAULTS, meta);
    expect(first.operations[0]).toMatchObject({ op: 'connect', state: 'keep' });
    expect(loadScenarioText(first.text, 'a.yaml').expect.receipt).toBe('delivered');
    const reinstalled = renderCase(
      {
        ...base,
        operations: [
          ...base.operations,
          { op: 'disconnect', bot: 'u2/d1', mode: 'clean' },
          { op: 'connect', bot: 'u2/d1', state: 'none' },
        ],
      },
      EXPLORE_DEFAULTS,
      meta,
    );
    expect(loadScenarioText(reinstalled.text, 'b.yaml').expect.receipt).toBe('any');
    // A receipt due when a kill -9 took the sender's connection down is recovered by retransmitting
    // (DEDUP-3), and the waits stop holding out for one owed to a connection that is gone.
    const killed = renderCase(
      { ...base, operations: [...base.operations, { op: 'kill' }] },
      EXPLORE_DEFAULTS,
      meta,
    );
    expect(loadScenarioText(killed.text, 'k.yaml').expect.receipt).toBe('delivered');
    const { receipt: _r, ...noCap } = base;
    expect(loadScenarioText(renderCase(noCap, EXPLORE_DEFAULTS, meta).text, 'c.yaml').expect.receipt).toBe(
      'any',
    );
  });

  it('cuts the frame rules a failure does not need, and keeps the one it does', async () => {
    const dropN: FrameFault = { match: { op: 'msg', kind: 'N' }, action: 'drop', probability: 0.05 };
    const dupR: FrameFault = { match: { op: 'msg', kind: 'R' }, action: 'duplicate', probability: 0.05 };
    const budget = { maxRuns: 5, deadline: performance.now() + 60_000 };
    const none = await shrinkFrameFaults([dropN, dupR], async () => true, budget);
    expect(none).toEqual({ faults: [], runs: 1, exhausted: false });
    const needsDrop = await shrinkFrameFaults([dropN, dupR], async (c) => c.includes(dropN), budget);
    expect(needsDrop.faults).toEqual([dropN]);
    const needsBoth = await shrinkFrameFaults([dropN, dupR], async (c) => c.length === 2, budget);
    expect(needsBoth).toEqual({ faults: [dropN, dupR], runs: 3, exhausted: false });
  });
});
