/**
 * `--report html=PATH` for `imspec load`: the run's result as the HTML report's load page —
 * per-second series (offered vs achieved, in flight, retransmits, p99s), the threshold table,
 * totals, latency histograms from the merged HdrHistograms, and the ledger's findings with the
 * events kept as their evidence. Pure mapping; the page itself is src/report/html's.
 */

import {
  buildLoadReport,
  type CaseModel,
  LATENCY_EDGES_MS,
  type LatencyModel,
  type LoadModel,
  type ReportModel,
} from '../../report/html/index.js';
import { renderEvent } from '../../report/wire-log.js';
import { kitSaturated } from '../kit-delay.js';
import { LATENCY_FIGURE_LIST, LatencyHistograms } from '../latency.js';
import type { LoadResult } from '../result.js';
import type { LatencyFigure } from '../thresholds.js';
import { DROP_REASONS } from '../worker/messages.js';
import { unreachableText } from './text.js';

/** How each latency figure is titled on the page. */
const FIGURE_TITLES: Record<LatencyFigure, string> = {
  'ack_latency.msg_a': 'msg:R → msg:A (from send)',
  'ack_latency.msg_a.scheduled': 'msg:R → msg:A (from schedule)',
  'ack_latency.ack_n': 'send → ack:N (from send)',
  'ack_latency.ack_n.scheduled': 'send → ack:N (from schedule)',
  delivery_latency: 'send → commit (from send)',
  'delivery_latency.scheduled': 'send → commit (from schedule)',
};

/** The command that reruns the profile with the same seed against the same kind of target. */
export function replayCommand(r: LoadResult): string {
  const target = r.target.startsWith('embedded') ? '' : ` --target '${r.target}'`;
  const shard = r.shard ? ` --shard ${r.shard.index}/${r.shard.count}` : '';
  return `imspec load ${r.profile.file} --seed ${r.seed} --driver ${r.driver}${target}${shard}`;
}

export function loadReportModel(r: LoadResult, command = replayCommand(r)): ReportModel {
  return buildLoadReport({
    title: `imspec load ${r.profile.file}`,
    meta: {
      version: r.imspec,
      runId: r.runId,
      startedAt: r.startedAt,
      durationMs: r.wallMs,
      target: r.target,
      driver: r.driver,
      seed: r.seed,
      command,
      exitCode: r.exitCode,
      extra: {
        profile: `${r.profile.name}: ${r.profile.description}`.trim(),
        bots: `${r.bots}${r.workers > 1 ? ` over ${r.workers} workers` : ''}`,
        ...(r.shard ? { shard: `${r.shard.index}/${r.shard.count}` } : {}),
        ...(r.aborted
          ? { aborted: `at ${(r.aborted.t / 1000).toFixed(1)} s by ${r.aborted.threshold}` }
          : {}),
        ...(r.interrupted
          ? { interrupted: `at ${(r.interrupted.t / 1000).toFixed(1)} s by ${r.interrupted.signal}` }
          : {}),
        ...(r.kitDelay
          ? {
              'kit event loop': `delay p99 ${r.kitDelay.p99Ms.toFixed(1)} ms, max ${r.kitDelay.maxMs.toFixed(1)} ms${kitSaturated(r.kitDelay) ? ' (saturated: figures include the kit’s own delay)' : ''}`,
            }
          : {}),
        ...(r.unreachable ? { 'target unreachable': unreachableText(r) } : {}),
        ...(r.process.length > 0
          ? {
              'process faults': r.process
                .map((p) => `${(p.t / 1000).toFixed(1)} s ${p.action}${p.detail ? ` (${p.detail})` : ''}`)
                .join('; '),
            }
          : {}),
      },
    },
    load: loadModel(r),
    cases: r.findings.length > 0 ? [findingsCase(r, command)] : [],
  });
}

function loadModel(r: LoadResult): LoadModel {
  const tl = r.timeline;
  const gaps = (xs: (number | null)[]) => xs.map((x) => x ?? Number.NaN);
  const histograms = LatencyHistograms.decode(r.histograms);
  return {
    t: tl?.t ?? [],
    series: tl
      ? {
          offered: tl.offered,
          achieved: tl.achieved,
          dropped: tl.dropped,
          inFlight: tl.inFlight,
          retransmits: tl.retransmits,
          ackP99Ms: gaps(tl.ackP99Ms),
          deliveryP99Ms: gaps(tl.deliveryP99Ms),
        }
      : {},
    thresholds: r.thresholds.map((t) => ({
      metric: t.figure,
      condition: t.source,
      actual: Number.isNaN(t.actual)
        ? 'no data'
        : isLatency(t.figure)
          ? `${round(t.actual)} ms`
          : `${round(t.actual)}`,
      ok: t.ok,
    })),
    totals: {
      offered: r.schedule.offered,
      dropped: r.dropped.total,
      // The reasons that happened: "dropped disconnected" says sends never left a cut-off bot.
      ...Object.fromEntries(
        DROP_REASONS.filter((reason) => r.dropped[reason] > 0).map((reason) => [
          `dropped ${reason}`,
          r.dropped[reason],
        ]),
      ),
      ...r.counters,
      unsettled: r.unsettled,
      'faults injected': r.faultsInjected,
    },
    latency: LATENCY_FIGURE_LIST.flatMap((f): LatencyModel[] => {
      const s = r.latency[f];
      if (!s || s.count === 0) return [];
      return [
        {
          name: FIGURE_TITLES[f],
          count: s.count,
          p50: s.p50,
          p90: s.p90,
          p99: s.p99,
          max: s.max,
          bins: histograms.bins(f, LATENCY_EDGES_MS),
        },
      ];
    }),
  };
}

/** The ledger's findings as one case, their kept events as its wire log. */
function findingsCase(r: LoadResult, command: string): CaseModel {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`— ${f.requirement} ${f.kind}${f.cmid ? ` cmid=${f.cmid}` : ''}: ${f.actual}`);
    for (const e of f.events) lines.push(`  ${renderEvent(e)}`);
  }
  const must = r.findings.some((f) => f.level === 'MUST');
  return {
    id: r.profile.name,
    title: `${r.profile.name}: findings of the streaming ledger`,
    suite: 'load',
    file: r.profile.file,
    severity: 'MUST',
    covers: [...new Set(r.findings.map((f) => f.requirement))].sort(),
    verdict: must ? 'FAIL' : 'WARN',
    reason: `${Object.values(r.findingCounts).reduce((a, b) => a + b, 0)} findings; the first ${r.findings.length} kept with their evidence`,
    durationMs: r.wallMs,
    seed: r.seed,
    replay: command,
    findings: r.findings.map((f) => ({
      kind: f.kind,
      requirement: f.requirement,
      level: f.level,
      expected: f.expected,
      actual: f.actual,
      evidence: [],
      faults: [],
      ...(f.cmid !== undefined ? { cmid: f.cmid } : {}),
      ...(f.smid !== undefined ? { smid: f.smid } : {}),
    })),
    latency: [],
    wireLog: lines,
  };
}

function isLatency(figure: string): boolean {
  return figure.includes('latency');
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
