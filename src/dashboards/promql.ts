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

/**
 * A run pushed to the Pushgateway at its end carries its `run_id` (the push's grouping label); a
 * scraped run, a load's /metrics and the monitor carry none. A pushed series is one final value
 * repeated, so a rate or increase over it reads 0 whatever the run did: the over-time panels
 * (rates, quantiles, per-interval increases) read scraped series only and show no data for a
 * pushed run, and the range totals read its final value (sumOverRange).
 */
const SCRAPED = { run_id: '' } as const;

/** `sum by (…) (rate(metric{…,run_id=""}[$__rate_interval]))`: scraped series only. */
export function sumRate(
  key: MetricKey,
  labels: readonly string[] = [],
  extra: Record<string, string> = {},
): string {
  return `sum${by(labels)} (rate(${name(key)}${sel({ ...extra, ...SCRAPED })}[${RATE_WINDOW}]))`;
}

/** `sum by (…) (increase(metric{…,run_id=""}[$__rate_interval]))`: per interval, scraped series only. */
export function sumIncrease(
  key: MetricKey,
  labels: readonly string[] = [],
  extra: Record<string, string> = {},
): string {
  return `sum${by(labels)} (increase(${name(key)}${sel({ ...extra, ...SCRAPED })}[${RATE_WINDOW}]))`;
}

/** The labels that tell one run's case apart from another's, whatever job carried it. */
const CASE_LABELS = ['scenario', 'suite', 'driver', 'target'] as const;

/**
 * A counter's total over the dashboard's range, per `labels`: a pushed run's final value
 * (last_over_time of the pushed series, summed over the runs pushed), else a scraped run's
 * increase. A case both scraped and pushed counts once, by its pushed value (exact; a scraped
 * increase reads a little high, docs/observability.md).
 */
export function sumOverRange(
  key: MetricKey,
  labels: readonly string[] = [],
  extra: Record<string, string> = {},
): string {
  const each = `sum by (${[...new Set([...CASE_LABELS, ...labels])].join(', ')})`;
  const pushed = `${each} (last_over_time(${name(key)}${sel(extra, { run_id: '.+' })}[${RANGE_WINDOW}]))`;
  const scraped = `${each} (increase(${name(key)}${sel({ ...extra, ...SCRAPED })}[${RANGE_WINDOW}]))`;
  return `sum${by(labels)} (${pushed} or ${scraped})`;
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
  const scraped = sel({ ...extra, ...SCRAPED });
  const buckets = `sum by (${[...labels, 'le'].join(', ')}) (rate(${name(key, '_bucket')}${scraped}[${RATE_WINDOW}]))`;
  const observed = `sum${by(labels)} (rate(${name(key, '_count')}${scraped}[${RATE_WINDOW}])) > 0`;
  return `histogram_quantile(${q}, ${buckets} and ignoring(le) (${observed}))`;
}

/** `sum by (le) (increase(metric_bucket{…,run_id=""}[$__rate_interval]))`: a heatmap's cells. */
export function bucketIncrease(key: MetricKey): string {
  return `sum by (le) (increase(${name(key, '_bucket')}${sel(SCRAPED)}[${RATE_WINDOW}]))`;
}
