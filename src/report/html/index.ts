/**
 * The HTML report: a plain JSON model (model.ts) built from results and histories, rendered last
 * into one self-contained page. docs/reports.md describes it.
 */

export { buildRunReport, caseModel, reportModel, timelineKey } from './build.js';
export { LATENCY_EDGES_MS, latencyHistogram } from './latency.js';
export { buildLoadReport } from './load.js';
export type * from './model.js';
export { REPORT_MODEL_VERSION } from './model.js';
export { renderHtml } from './render.js';
export { HtmlReporter, type HtmlReporterOptions, IMSPEC_VERSION, writeHtmlReport } from './reporter.js';
export { buildTimeline, TIMELINE_DEFAULTS, type TimelineOptions } from './timeline.js';
