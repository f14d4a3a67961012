/**
 * One seed, one verdict: `--seed` promises a replay, so the probabilistic fault case of
 * suites/faults must reach the same verdict in every run of the same seed, and give the same
 * logical frames the same fate. Each frame's fate is drawn from its identity (the rule,
 * connection, direction, type, message ordinal and attempt), not from its arrival order, so an
 * ack batched differently (timing) shifts nothing else. A bounded number of runs here; the
 * 20-run check of every shipped suite is `npm run rerun-suites`.
 */

import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { runSuites } from '../../src/runner/run.js';

const faults = new URL('../../suites/faults', import.meta.url).pathname;
const RUNS = 3;

/** One run of the case: its verdict and the identities of the frames each rule acted on. */
async function runOnce(id: string) {
  const events: HistoryEvent[] = [];
  const run = await runSuites(
    { paths: [faults], only: [id], seed: 7, reports: [], minimize: false },
    { onHistory: (h) => h.subscribe((e) => events.push(e)) },
  );
  const faulted = events.flatMap((e) =>
    e.kind === 'fault' && 'identity' in e && typeof e.identity === 'string'
      ? [`${e.rule} ${e.identity}`]
      : [],
  );
  return { verdict: run.cases[0]!.verdict, reason: run.cases[0]!.reason, faulted };
}

/**
 * The first attempt of each of the six frames of a message exists in every run that delivers it,
 * however the timers and batching went: those fates must agree exactly. (A retransmission, or an
 * ack:R whose upTo depends on batching, may exist in one run only.)
 */
const firstAttemptOfAMessage = (f: string) => /\|(msg:[RAN]|ack:N)\|.*\|#1$/.test(f);

describe('a probabilistic fault case run again with the same seed', () => {
  it(`random-loss-5pct reaches the same verdict ${RUNS} times and drops the same message frames`, {
    timeout: 180_000,
  }, async () => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce('random-loss-5pct'));
    const verdicts = runs.map((r) => `${r.verdict} ${r.reason ?? ''}`);
    expect(new Set(verdicts).size, verdicts.join('\n')).toBe(1);
    expect(runs[0]!.verdict).toBe('PASS');
    const first = runs.map((r) => r.faulted.filter(firstAttemptOfAMessage).sort());
    expect(first[0]!.length).toBeGreaterThan(20);
    for (const other of first.slice(1)) expect(other).toEqual(first[0]);
  });
});
