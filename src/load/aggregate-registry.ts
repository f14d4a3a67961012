/**
 * The metric table of a run whose bots live in worker processes: each worker feeds its own
 * registry from its history (src/metrics, as a case does) and ships it as prom-client JSON with
 * every snapshot; /metrics and the Pushgateway read the sum (prom-client's AggregatorRegistry,
 * made for exactly this: counters and histograms add, the load gauges add too). Metrics fed in
 * this process (in-process workers) are part of the sum.
 */

import { AggregatorRegistry, Registry } from 'prom-client';

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

import type { WorkerMetricsSink } from './worker/process-worker.js';

export class AggregatedRegistry extends Registry implements WorkerMetricsSink {
  private readonly workers = new Map<number, MetricJson>();
  /**
   * Default labels (the `target` label) go on the sum, not on this process's own series: the
   * workers' series come without them, and a label on one side only would split every series
   * of the sum in two.
   */
  private defaults: Record<string, string> = {};

  override setDefaultLabels(labels: object): void {
    this.defaults = { ...(labels as Record<string, string>) };
  }

  update(worker: number, json: unknown): void {
    this.workers.set(worker, json as MetricJson);
  }

  private async aggregate(): Promise<Registry> {
    const own = await super.getMetricsAsJSON();
    const sum: Registry = AggregatorRegistry.aggregate([own, ...this.workers.values()]);
    sum.setContentType(this.contentType);
    sum.setDefaultLabels(this.defaults);
    return sum;
  }

  override async metrics(): Promise<string> {
    return (await this.aggregate()).metrics();
  }

  override async getMetricsAsJSON(): Promise<MetricJson> {
    return (await this.aggregate()).getMetricsAsJSON();
  }
}
