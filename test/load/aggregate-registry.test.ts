/**
 * Worker processes each feed the metric table from their own history; the coordinator's
 * registry serves the sum: counters and histograms add, and what this process fed counts too.
 */

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AggregatedRegistry } from '../../src/load/aggregate-registry.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { renderMetrics } from '../../src/metrics/render.js';

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

  it('serve OpenMetrics counters under their own names, as Prometheus scrapes them', async () => {
    const agg = new AggregatedRegistry();
    createMetrics(agg).m.messagesSent.inc(base, 1);
    agg.update(0, await worker(10, 3));
    const { body } = await renderMetrics(agg, 'openmetrics');
    expect(body).toContain('# TYPE imspec_messages_sent counter');
    expect(body).toContain('imspec_messages_sent_total{scenario="agg",driver="ran",suite="load"} 11');
    expect(body).not.toContain('_total_total');
    // …and the text format after it keeps the `_total` names (render.ts restores them).
    expect(await agg.metrics()).toContain(
      'imspec_messages_sent_total{scenario="agg",driver="ran",suite="load"} 11',
    );
  });

  it('keep the latency exemplars: each bucket of the sum names the newest message any part saw in it', async () => {
    const agg = new AggregatedRegistry();
    createMetrics(agg).latency('deliveryLatency', base).observe(0.003, 'own-1', 's-own');
    const worker = new Registry();
    const cell = createMetrics(worker).latency('deliveryLatency', base);
    cell.observe(0.3, 'worker-slow', 's-slow');
    // Shipped as JSON over IPC, like a worker process's snapshot.
    agg.update(0, JSON.parse(JSON.stringify(await worker.getMetricsAsJSON())));
    const { body } = await renderMetrics(agg, 'openmetrics');
    const bucket = (le: string) =>
      body.split('\n').find((l) => l.startsWith(`imspec_delivery_latency_seconds_bucket{le="${le}"`));
    expect(bucket('0.005')).toMatch(/\} 1 # \{cmid="own-1",smid="s-own"\} 0\.003 /);
    expect(bucket('0.5')).toMatch(/\} 2 # \{cmid="worker-slow",smid="s-slow"\} 0\.3 /);
    expect(bucket('0.25')).not.toContain(' # ');
  });
});
