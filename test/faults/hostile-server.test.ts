/**
 * The kit against a hostile server: the seeded hostile proxy (src/faults/hostile-server.ts) in
 * front of the real reference server spoils a fifth of the server's frames — malformed, huge,
 * deep, binary, schema-invalid, reordered, floods — for a few core cases (one round of
 * `npm run fuzz`, a few thousand frames). The kit must finish (no crash, no hang: the round
 * resolves), no case may end ERROR, and every case whose traffic carried a detectable anomaly
 * must say so with findings, never PASS.
 */

import { describe, expect, it } from 'vitest';
import { fuzzRound } from '../../scripts/fuzz.js';
import { DETECTABLE, treat } from '../../src/faults/hostile-server.js';
import { createRng } from '../../src/faults/random.js';

describe('the kit against a seeded hostile server', () => {
  it('finishes every case, none ERROR, and reports each case whose frames were spoiled', async () => {
    const round = await fuzzRound({ seed: 'hostile-test-1' });
    expect(round.cases).toBe(4);
    expect(round.stats.framesOut).toBeGreaterThan(1000);
    // Every treatment ran, so the verdicts above were earned against all of them.
    for (const [kind, n] of Object.entries(round.stats.byKind)) expect(n, kind).toBeGreaterThan(0);
    expect(round.errors).toEqual([]);
    expect(round.silent, 'cases that took spoiled frames without a finding').toEqual([]);
  }, 240_000);

  it('spoils frames the same way for the same seed', () => {
    const shape = { floodSize: 3, hugeBytes: 10 };
    const text = '{"type":"ping:A","rid":"r1"}';
    const run = () => {
      const rng = createRng('same');
      return [...DETECTABLE].map((kind) => treat(kind, text, rng, shape).map((o) => String(o.data)));
    };
    expect(run()).toEqual(run());
    expect(run().flat()).not.toContain(undefined);
  });
});
