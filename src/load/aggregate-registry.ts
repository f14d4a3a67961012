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
    const parts = [own, ...this.workers.values()];
    const sum: Registry = AggregatorRegistry.aggregate(parts);
    readNameFromWrapper(sum);
    sum.setContentType(this.contentType);
    sum.setDefaultLabels(this.defaults);
    await keepExemplars(sum, parts);
    return sum;
  }

  override async metrics(): Promise<string> {
    return (await this.aggregate()).metrics();
  }

  override async getMetricsAsJSON(): Promise<MetricJson> {
    return (await this.aggregate()).getMetricsAsJSON();
  }
}

/**
 * prom-client's aggregate registers each metric as `{ get: () => sum, ...sum }`. Its OpenMetrics
 * render strips `_total` from the wrapper's name and appends `_total` to each sample, but takes
 * the name from `get()`: every counter a Prometheus scraped came out as
 * `imspec_messages_sent_total_total`, and every dashboard panel on a scraped load run read no
 * data. `get()` answers with the wrapper's name (same values object: keepExemplars sets there).
 */
function readNameFromWrapper(sum: Registry): void {
  for (const metric of sum.getMetricsAsArray() as unknown as { name: string; get(): object }[]) {
    const get = metric.get.bind(metric);
    metric.get = () => ({ ...get(), name: metric.name });
  }
}

interface ExemplarValue {
  metricName?: string;
  labels: Record<string, unknown>;
  exemplar?: { timestamp?: number } | null;
}

const valueKey = (v: ExemplarValue) =>
  `${v.metricName ?? ''}|${JSON.stringify(Object.entries(v.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

/**
 * prom-client's aggregation sums values and drops the latency buckets' exemplars (the message
 * behind a bucket, src/metrics/exemplars.ts): each bucket of the sum gets back the newest
 * exemplar any part had for it.
 */
async function keepExemplars(sum: Registry, parts: MetricJson[]): Promise<void> {
  const newest = new Map<string, NonNullable<ExemplarValue['exemplar']>>();
  for (const part of parts) {
    for (const metric of part) {
      if (String(metric.type) !== 'histogram') continue;
      for (const v of metric.values as unknown as ExemplarValue[]) {
        if (!v.exemplar) continue;
        const key = valueKey(v);
        const seen = newest.get(key);
        if (!seen || (v.exemplar.timestamp ?? 0) > (seen.timestamp ?? 0)) newest.set(key, v.exemplar);
      }
    }
  }
  if (newest.size === 0) return;
  const metrics = sum.getMetricsAsArray() as unknown as { type: string; get(): Promise<unknown> }[];
  for (const metric of metrics) {
    if (metric.type !== 'histogram') continue;
    // The aggregated metric hands out the same values object on every read: set them there.
    const { values } = (await metric.get()) as { values: ExemplarValue[] };
    for (const v of values) {
      const exemplar = newest.get(valueKey(v));
      if (exemplar) v.exemplar = exemplar;
    }
  }
}
