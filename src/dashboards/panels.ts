/**
 * Small panel factories over @grafana/grafana-foundation-sdk so each dashboard file reads as
 * a list of panels: title, what a bad value means, queries. Every panel gets a description
 * (the issue asks that each says what a bad value means) — the types make it mandatory.
 */

import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { METRIC_LIST } from '../metrics/definitions.js';
import { DATASOURCE } from './variables.js';

export interface Query {
  expr: string;
  /** Grafana legend template, e.g. `{{reason}}`. */
  legend?: string;
}

export interface PanelSpec {
  title: string;
  /** What the panel shows and what a bad value means. */
  description: string;
  /** Grafana unit id (`s`, `ops`, `percentunit`, `short`). */
  unit: string;
  queries: Query[];
  /** Width in grid columns (24 = full row). @default 12 */
  w?: number;
  /** Height in grid rows. @default 8 */
  h?: number;
}

type PanelBuilder = cog.Builder<dashboard.Panel>;

/** Bucket series whose exemplars name a message (MetricDefinition.exemplars). */
const EXEMPLAR_BUCKETS = METRIC_LIST.filter((d) => d.exemplars).map((d) => `${d.name}_bucket`);

/**
 * A range query over the buckets of a latency histogram asks for exemplars too: Grafana then
 * draws the messages (cmid, smid) behind the buckets as points over the graph, so an outlier
 * can be hovered and traced to its message. Decided from the metric table, not per panel.
 */
export const wantsExemplars = (expr: string): boolean => EXEMPLAR_BUCKETS.some((b) => expr.includes(b));

function targets(queries: Query[], format?: prometheus.PromQueryFormat, instant = false) {
  // One query per panel asks: p50, p90 and p99 read the same buckets, hence the same exemplars.
  const first = instant ? -1 : queries.findIndex((q) => wantsExemplars(q.expr));
  return queries.map((q, i) => {
    const t = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .expr(q.expr)
      .refId(String.fromCharCode(65 + i))
      .legendFormat(q.legend ?? '__auto');
    if (format) t.format(format);
    if (i === first) t.exemplar(true);
    return instant ? t.instant() : t.range();
  });
}

export function timeSeriesPanel(spec: PanelSpec): PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .fillOpacity(10)
    .targets(targets(spec.queries));
}

/**
 * A single number, coloured by thresholds: `redFrom` is the first bad value (values at or above
 * it are red); `greenFrom` the first good one for metrics where low is bad (probe success).
 */
export function statPanel(spec: PanelSpec & { redFrom?: number; greenFrom?: number }): PanelBuilder {
  const steps: dashboard.Threshold[] =
    spec.greenFrom !== undefined
      ? [
          { value: null, color: 'red' },
          { value: spec.greenFrom, color: 'green' },
        ]
      : [
          { value: null, color: 'green' },
          { value: spec.redFrom ?? 1, color: 'red' },
        ];
  return new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.w ?? 6)
    .height(spec.h ?? 4)
    .colorMode(common.BigValueColorMode.Background)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps))
    .targets(targets(spec.queries));
}

/** Latency distribution over time from a histogram's buckets (Prometheus heatmap format). */
export function heatmapPanel(spec: PanelSpec): PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit(spec.unit))
    .targets(targets(spec.queries, prometheus.PromQueryFormat.Heatmap));
}

/** Instant-query table, one row per series. */
export function tablePanel(spec: PanelSpec): PanelBuilder {
  return new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .targets(targets(spec.queries, prometheus.PromQueryFormat.Table, true));
}
