/**
 * A load run's page: `imspec load` fills a LoadModel (per-interval series, thresholds, totals,
 * latency histograms; docs/reports.md describes each field) and gets a ReportModel. Pure.
 */

import { ConfigError } from '../../errors.js';
import { reportModel } from './build.js';
import type { CaseModel, LoadModel, ReportMeta, ReportModel } from './model.js';

export function buildLoadReport(input: {
  title: string;
  meta: ReportMeta;
  load: LoadModel;
  /** Cases to list too (a load run's evidence of broken rules, as CaseModels). @default none */
  cases?: CaseModel[];
}): ReportModel {
  const n = input.load.t.length;
  for (const [name, values] of Object.entries(input.load.series)) {
    if (values !== undefined && values.length !== n) {
      throw new ConfigError(`load report: series "${name}" has ${values.length} points, but t has ${n}`);
    }
  }
  return reportModel({
    kind: 'load',
    title: input.title,
    meta: input.meta,
    cases: input.cases ?? [],
    load: input.load,
  });
}
