/**
 * PromQL for the dashboards, built from the metric table (src/metrics/definitions.ts) so a
 * metric rename cannot leave a panel querying a name that no longer exists.
 *
 * Every selector filters on the dashboards' template variables `$job`, `$target`, `$driver`,
 * `$run_id` and `$scenario` (multi-value, "All" = `.*`, which also matches a series without the
 * label: scraped runs carry no run_id), hence `=~`.
 */

import { METRICS, type MetricKey } from '../metrics/definitions.js';

/** Grafana's variables the expressions use; test/dashboards substitutes them for real queries. */
export const RATE_WINDOW = '$__rate_interval';
export const RANGE_WINDOW = '$__range';

export function name(key: MetricKey, suffix: '' | '_bucket' | '_sum' | '_count' = ''): string {
  return METRICS[key].name + suffix;
}

/** `{job=~"$job",scenario=~"$scenario",…extra (=),…regex (=~)}` */
export function sel(extra: Record<string, string> = {}, regex: Record<string, string> = {}): string {
  const parts = [
    'job=~"$job"',
    'target=~"$target"',
    'driver=~"$driver"',
    'run_id=~"$run_id"',
    'scenario=~"$scenario"',
    ...Object.entries(extra).map(([k, v]) => `${k}="${v}"`),
    ...Object.entries(regex).map(([k, v]) => `${k}=~"${v}"`),
  ];
  return `{${parts.join(',')}}`;
}

const by = (labels: readonly string[]): string => (labels.length ? ` by (${labels.join(', ')})` : '');

/** `sum by (…) (rate(metric{…}[$__rate_interval]))` */
export function sumRate(
  key: MetricKey,
  labels: readonly string[] = [],
  extra: Record<string, string> = {},
): string {
  return `sum${by(labels)} (rate(${name(key)}${sel(extra)}[${RATE_WINDOW}]))`;
}

/** `sum by (…) (increase(metric{…}[window]))` */
export function sumIncrease(
  key: MetricKey,
  labels: readonly string[] = [],
  extra: Record<string, string> = {},
  window: string = RATE_WINDOW,
): string {
  return `sum${by(labels)} (increase(${name(key)}${sel(extra)}[${window}]))`;
}

/**
 * `num / (den > 0)`: THE way imspec's panels, recording rules and alerts divide. Where the
 * denominator is 0 (no traffic in the window) the ratio is absent — an empty panel, a rule that
 * does not fire — instead of NaN or +Inf (x/0), which a threshold (`> 0.1`) reads as firing.
 * Series match on their labels as in a plain `/`.
 */
export function ratio(numerator: string, denominator: string): string {
  return `${numerator} / (${denominator} > 0)`;
}

/**
 * `histogram_quantile(q, sum by (le, …) (rate(metric_bucket{…}[$__rate_interval])))`, kept only
 * where the histogram observed something in the window: with no observations every bucket's rate
 * is 0 and histogram_quantile answers NaN.
 */
export function quantile(
  q: number,
  key: MetricKey,
  extra: Record<string, string> = {},
  labels: readonly string[] = [],
): string {
  const buckets = `sum by (${[...labels, 'le'].join(', ')}) (rate(${name(key, '_bucket')}${sel(extra)}[${RATE_WINDOW}]))`;
  const observed = `sum${by(labels)} (rate(${name(key, '_count')}${sel(extra)}[${RATE_WINDOW}])) > 0`;
  return `histogram_quantile(${q}, ${buckets} and ignoring(le) (${observed}))`;
}

/** `sum by (le) (increase(metric_bucket{…}[$__rate_interval]))`: a heatmap's cells. */
export function bucketIncrease(key: MetricKey): string {
  return `sum by (le) (increase(${name(key, '_bucket')}${sel()}[${RATE_WINDOW}]))`;
}
