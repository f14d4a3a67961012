/**
 * Renders a registry in either exposition format. prom-client fixes the format per registry
 * (`setContentType`), and its OpenMetrics path renames counters in place (`imspec_frames_total`
 * becomes `imspec_frames`, with `_total` re-added only on OpenMetrics sample lines), so a later
 * Prometheus-text render would lose the `_total` suffix. Content negotiation therefore renders
 * under a per-registry lock, switches the format, and restores names and format afterwards.
 */

import { Registry } from 'prom-client';

export type ExpositionFormat = 'openmetrics' | 'text';

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const locks = new WeakMap<Registry, Promise<unknown>>();

/**
 * Picks the format from an HTTP Accept header: OpenMetrics when the client lists
 * `application/openmetrics-text` with a non-zero q (Prometheus 2.x does, ahead of text/plain),
 * else the Prometheus text format 0.0.4.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    if (type?.trim().toLowerCase() !== 'application/openmetrics-text') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'text';
}

/** Renders `registry` in `format`; serialised per registry so concurrent scrapes cannot interleave. */
export async function renderMetrics(
  registry: Registry,
  format: ExpositionFormat,
): Promise<{ contentType: string; body: string }> {
  const previous = locks.get(registry) ?? Promise.resolve();
  const run = previous.then(async () => {
    const contentType = format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
    const original = registry.contentType;
    const metrics = registry.getMetricsAsArray() as unknown as { name: string }[];
    const names = metrics.map((metric) => metric.name);
    registry.setContentType(contentType as typeof original);
    try {
      return { contentType, body: await registry.metrics() };
    } finally {
      metrics.forEach((metric, i) => {
        metric.name = names[i]!;
      });
      registry.setContentType(original);
    }
  });
  locks.set(
    registry,
    run.catch(() => undefined),
  );
  return run;
}
