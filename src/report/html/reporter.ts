/**
 * `--report html=PATH`: keeps a bounded diagram of each case as it ends (the full history is
 * dropped with the case), and writes the page when the run ends.
 */

import pkg from '../../../package.json' with { type: 'json' };
import type { HistoryEvent } from '../../history/events.js';
import { optionWords, writeOutputFile } from '../../output-paths.js';
import type { CaseResult, Reporter, RunResult } from '../types.js';
import { buildRunReport, timelineKey } from './build.js';
import type { ReportModel, TimelineModel } from './model.js';
import { renderHtml } from './render.js';
import { buildTimeline, type TimelineOptions } from './timeline.js';

/** The imspec version reports name (the package's; src/cli/version.ts reads the same file). */
export const IMSPEC_VERSION: string = pkg.version;

export interface HtmlReporterOptions {
  /** The command line of the run, shown as "command" in the page. */
  command?: string;
  /** Which command the page describes. @default 'run' */
  kind?: ReportModel['kind'];
  timeline?: TimelineOptions;
}

export class HtmlReporter implements Reporter {
  private readonly timelines = new Map<string, TimelineModel>();

  constructor(
    readonly path: string,
    private readonly options: HtmlReporterOptions = {},
  ) {}

  onCaseHistory(run: { result: CaseResult; events: readonly HistoryEvent[] }): void {
    const { result, events } = run;
    if (events.length === 0) return;
    this.timelines.set(
      timelineKey(result.id, result.seed),
      buildTimeline(events, result.findings, this.options.timeline),
    );
  }

  /** Case runs whose diagram is held until the run ends. */
  get heldDiagrams(): number {
    return this.timelines.size;
  }

  /** With --repeat, only the run the result stands for keeps its diagram (the others are dropped). */
  onCaseResult(result: CaseResult): void {
    const keep = timelineKey(result.id, result.seed);
    for (const key of this.timelines.keys()) {
      if (key !== keep && key.startsWith(`${result.id}#`)) this.timelines.delete(key);
    }
  }

  async onRunEnd(result: RunResult): Promise<void> {
    const model = buildRunReport(result, this.timelines, {
      version: IMSPEC_VERSION,
      ...(this.options.kind ? { kind: this.options.kind } : {}),
      ...(this.options.command !== undefined ? { command: this.options.command } : {}),
    });
    await writeHtmlReport(this.path, model);
  }
}

/** Writes the page for `model` to `path` (directories created). What `load`, `explore` and `certify` call. */
export async function writeHtmlReport(path: string, model: ReportModel): Promise<void> {
  await writeOutputFile(optionWords('--report html=', path), path, renderHtml(model));
}
