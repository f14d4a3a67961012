/**
 * Metrics from a real conformance run: the runner's onHistory hook and a reporter (runMetrics)
 * against the embedded reference server. A case that loses a msg:A (lost-msg-a) retransmits;
 * the six-frame happy path does not.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/registry.js';
import { runMetrics } from '../../src/metrics/run-metrics.js';
import { runSuites } from '../../src/runner/run.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const { values } = await registry.getSingleMetric(name)!.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('metrics of a conformance run', () => {
  it('count retransmits under injected loss and none on the happy path, with verdicts', async () => {
    const registry = new Registry();
    const wiring = runMetrics(createMetrics(registry), 'ran');
    const result = await runSuites(
      { paths: ['suites/core'], only: ['lost-msg-a', 'happy-six-frames'], reports: [], seed: 1 },
      { onHistory: wiring.onHistory, reporters: [wiring.reporter] },
    );
    expect(result.cases.map((c) => c.id).sort()).toEqual(['happy-six-frames', 'lost-msg-a']);
    expect(await value(registry, 'imspec_retransmits_total', { scenario: 'lost-msg-a' })).toBeGreaterThan(0);
    expect(await value(registry, 'imspec_retransmits_total', { scenario: 'happy-six-frames' })).toBe(0);
    expect(
      await value(registry, 'imspec_messages_delivered_total', {
        scenario: 'happy-six-frames',
        suite: 'core',
      }),
    ).toBe(1);
    expect(await value(registry, 'imspec_faults_injected_total', { scenario: 'lost-msg-a' })).toBeGreaterThan(
      0,
    );
    for (const c of result.cases) {
      expect(await value(registry, 'imspec_case_verdict', { scenario: c.id, verdict: c.verdict })).toBe(1);
    }
  });
});
