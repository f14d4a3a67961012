/**
 * RunResult (+ each case's diagram) → ReportModel. Pure. Other commands build their own
 * CaseModels with `caseModel` and wrap them with `reportModel`, so every page has one shape.
 */

import type { Finding } from '../../checker/types.js';
import { REQUIREMENTS } from '../../protocol/requirements.js';
import { countVerdicts } from '../format.js';
import type { CaseResult, RunResult } from '../types.js';
import { latencyHistogram } from './latency.js';
import {
  type CaseModel,
  type CoverageRow,
  type FindingModel,
  type LatencyModel,
  REPORT_MODEL_VERSION,
  type ReportMeta,
  type ReportModel,
  type ReportVerdict,
  type TimelineModel,
} from './model.js';

/** The key a case's timeline is filed under: one per run of a case (`--repeat` runs differ by seed). */
export function timelineKey(caseId: string, seed: number): string {
  return `${caseId}#${seed}`;
}

/** Worst first: which verdict a requirement row shows when several cases cover it. */
const SEVERITY: readonly ReportVerdict[] = [
  'FAIL',
  'ERROR',
  'FLAKY',
  'WARN',
  'INCONCLUSIVE',
  'INFO',
  'XFAIL',
  'UNSUPPORTED',
  'PASS',
];

/**
 * The model of an `imspec run` (or anything that produces a RunResult, such as certify and
 * explore). `timelines` maps timelineKey(case, seed) to the diagram built from that run's history.
 */
export function buildRunReport(
  run: RunResult,
  timelines: ReadonlyMap<string, TimelineModel>,
  extra: { kind?: ReportModel['kind']; title?: string; command?: string; version: string },
): ReportModel {
  const cases = run.cases.map((c) => caseModel(c, timelines.get(timelineKey(c.id, c.seed))));
  const meta: ReportMeta = {
    version: extra.version,
    runId: run.runId,
    startedAt: run.startedAt,
    durationMs: Math.round(run.durationMs),
    target: run.target,
    driver: run.driver,
    seed: run.seed,
    exitCode: run.exitCode,
  };
  if (extra.command !== undefined) meta.command = extra.command;
  if (run.staleExemptions.length > 0) meta.extra = { 'stale exemptions': run.staleExemptions.join(', ') };
  return reportModel({
    kind: extra.kind ?? 'run',
    title: extra.title ?? `imspec ${extra.kind ?? 'run'} ${run.runId}`,
    meta,
    cases,
  });
}

/** Wraps cases (and optional load data) into a report: counts and coverage are derived here. */
export function reportModel(
  input: Pick<ReportModel, 'kind' | 'title' | 'meta' | 'cases' | 'load'>,
): ReportModel {
  const model: ReportModel = {
    version: REPORT_MODEL_VERSION,
    kind: input.kind,
    title: input.title,
    meta: input.meta,
    counts: Object.fromEntries(Object.entries(countVerdicts(input.cases)).filter(([, n]) => n > 0)),
    cases: input.cases,
    coverage: coverageRows(input.cases),
  };
  if (input.load) model.load = input.load;
  return model;
}

/** One case of a RunResult, with its diagram when its history was kept. */
export function caseModel(c: CaseResult, timeline: TimelineModel | undefined): CaseModel {
  const m: CaseModel = {
    id: c.id,
    title: c.title,
    suite: c.suite,
    file: c.file,
    severity: c.severity,
    covers: [...c.covers],
    verdict: c.verdict,
    durationMs: Math.round(c.durationMs),
    seed: c.seed,
    replay: c.replay,
    findings: c.findings.map((f) => findingModel(f, timeline)),
    latency: latencyModels(c),
    wireLog: [...c.wireLog],
  };
  if (c.reason !== undefined) m.reason = c.reason;
  if (c.replays) m.replays = [...c.replays];
  if (c.stats) m.stats = numericStats(c.stats as unknown as Record<string, unknown>);
  if (timeline) m.timeline = timeline;
  return m;
}

function findingModel(f: Finding, timeline: TimelineModel | undefined): FindingModel {
  const faults: number[] = [];
  if (timeline && (f.cmid !== undefined || f.smid !== undefined)) {
    for (const e of timeline.events) {
      if (e.k !== 'fault' || !e.fields) continue;
      if (
        (f.cmid !== undefined && e.fields['cmid'] === f.cmid) ||
        (f.smid !== undefined && e.fields['smid'] === f.smid)
      )
        faults.push(e.i);
    }
  }
  const m: FindingModel = {
    kind: f.kind,
    requirement: f.requirement,
    level: f.level,
    expected: f.expected,
    actual: f.actual,
    evidence: [...f.evidence],
    faults,
  };
  if (f.cmid !== undefined) m.cmid = f.cmid;
  if (f.smid !== undefined) m.smid = f.smid;
  return m;
}

function latencyModels(c: CaseResult): LatencyModel[] {
  if (!c.stats) return [];
  const figures: Array<[string, readonly number[]]> = [
    ['msg:R → msg:A', c.stats.ackLatencyMs],
    ['send → ack:N', c.stats.receiptLatencyMs],
    ['send → commit', c.stats.deliveryLatencyMs],
  ];
  return figures.flatMap(([name, samples]) => {
    const h = latencyHistogram(name, samples ?? []);
    return h ? [h] : [];
  });
}

/** The ledger's counts (the latency arrays become histograms instead). */
function numericStats(stats: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(stats).filter((kv): kv is [string, number] => typeof kv[1] === 'number'),
  );
}

function coverageRows(cases: readonly CaseModel[]): CoverageRow[] {
  const ids = new Set<string>();
  for (const c of cases) {
    for (const id of c.covers) ids.add(id);
    for (const f of c.findings) ids.add(f.requirement);
  }
  const known = new Map(REQUIREMENTS.map((r, i) => [r.id, { r, i }]));
  const rows = [...ids].map((id): CoverageRow => {
    const covering = cases.filter((c) => c.covers.includes(id));
    const worst = SEVERITY.find((v) => covering.some((c) => c.verdict === v));
    const req = known.get(id)?.r;
    return {
      id,
      level: req?.level,
      summary: req?.summary ?? '(not a docs/protocol.md requirement)',
      cases: covering.map((c) => c.id),
      findings: cases.reduce((n, c) => n + c.findings.filter((f) => f.requirement === id).length, 0),
      worst,
    };
  });
  const order = (id: string) => known.get(id)?.i ?? Number.MAX_SAFE_INTEGER;
  return rows.sort((a, b) => order(a.id) - order(b.id) || a.id.localeCompare(b.id));
}
