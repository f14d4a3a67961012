/**
 * Where a load run's result goes, chosen by `--report` specs as for `imspec run`: `console`
 * (the summary), `json=PATH` (schemas/load-result.schema.json), `junit=PATH` and `html=PATH` (the
 * HTML report's load page: series, thresholds, latency, findings); `--out PATH`
 * is `json=PATH`. Files are written when the run ends.
 */

import { UsageError } from '../../errors.js';
import { didYouMean } from '../../hints.js';
import { checkOutputFile, optionWords, writeOutputFile } from '../../output-paths.js';
import { renderHtml } from '../../report/html/index.js';
import type { LoadResult } from '../result.js';
import { loadReportModel } from './html.js';
import { renderLoadJunit } from './junit.js';
import { renderLoadSummary } from './text.js';

export const LOAD_REPORTERS = ['console', 'json', 'junit', 'html'] as const;

export function renderLoadJson(r: LoadResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface LoadReporter {
  write(result: LoadResult): Promise<void>;
  /** The console summary (the verdict), not a file. */
  console?: true;
}

/**
 * Parses specs; unknown names, missing or duplicate paths and files that cannot be written
 * (src/output-paths.ts) are UsageErrors.
 */
export function createLoadReporters(
  specs: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): LoadReporter[] {
  const reporters: LoadReporter[] = [];
  const paths = new Set<string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
    const path = eq < 0 ? '' : spec.slice(eq + 1).trim();
    if (!(LOAD_REPORTERS as readonly string[]).includes(name)) {
      throw new UsageError(
        `unknown reporter "${name}" in --report ${spec}${didYouMean(name, LOAD_REPORTERS)}; use console, json=PATH, junit=PATH or html=PATH`,
      );
    }
    if (name === 'console') {
      if (eq >= 0) throw new UsageError(`reporter "console" takes no file (got --report ${spec})`);
      reporters.push({ write: async (r) => void out.write(renderLoadSummary(r)), console: true });
      continue;
    }
    if (path === '') throw new UsageError(`reporter "${name}" needs a file: --report ${name}=PATH`);
    if (paths.has(path)) throw new UsageError(`two reporters write to ${path}; give each its own file`);
    paths.add(path);
    // Before any work: a file that cannot be written must not cost the run.
    checkOutputFile(`--report ${name}=`, path);
    const render =
      name === 'json'
        ? renderLoadJson
        : name === 'junit'
          ? renderLoadJunit
          : (r: LoadResult) => renderHtml(loadReportModel(r));
    reporters.push({
      write: (r) => writeOutputFile(optionWords(`--report ${name}=`, path), path, render(r)),
    });
  }
  return reporters;
}

/**
 * Writes every report, then rethrows the first failure: a file that could not be written never
 * hides the verdict — when no console reporter showed it, the summary goes to `out` before the error.
 */
export async function writeLoadReports(
  reporters: readonly LoadReporter[],
  result: LoadResult,
  out: { write(text: string): unknown } = process.stdout,
): Promise<void> {
  const settled = await Promise.allSettled(reporters.map((r) => r.write(result)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return;
  if (!reporters.some((r) => r.console)) out.write(renderLoadSummary(result));
  throw failed.reason;
}
