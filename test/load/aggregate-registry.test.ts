/**
 * Worker processes each feed the metric table from their own history; the coordinator's
 * registry serves the sum: counters and histograms add, and what this process fed counts too.
 */

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AggregatedRegistry } from '../../src/load/aggregate-registry.js';
import { createMetrics } from '../../src/metrics/registry.js';

const base = { scenario: 'agg', driver: 'ran', suite: 'load' };

async function worker(sent: number, inFlight: number) {
  const registry = new Registry();
  const m = createMetrics(registry);
  m.zeroInit(base);
  m.m.messagesSent.inc(base, sent);
  m.m.deliveryLatency.observe(base, 0.002);
  m.m.loadInFlight.set(base, inFlight);
  return registry.getMetricsAsJSON();
}

describe('aggregated worker metrics', () => {
  it('serve the sum of the workers and of this process', async () => {
    const agg = new AggregatedRegistry();
    const own = createMetrics(agg);
    own.m.messagesSent.inc(base, 1);
    agg.update(0, await worker(10, 3));
    agg.update(1, await worker(5, 4));
    agg.update(1, await worker(7, 2)); // a newer snapshot replaces the worker's older one
    const text = await agg.metrics();
    expect(text).toContain('imspec_messages_sent_total{scenario="agg",driver="ran",suite="load"} 18');
    expect(text).toContain('imspec_load_in_flight{scenario="agg",driver="ran",suite="load"} 5');
    expect(text).toContain(
      'imspec_delivery_latency_seconds_count{scenario="agg",driver="ran",suite="load"} 2',
    );
  });
});
