/**
 * The result of a load run, as data (schemas/load-result.schema.json): what the JSON summary
 * holds, what the console and JUnit reporters render, and what `imspec merge` will add up across
 * shards. Everything in it merges exactly: counters by addition, latency as serialised
 * HdrHistograms; percentiles and thresholds are computed after the merge, never averaged.
 */

import {
  addCounters,
  type EvidencedFinding,
  type LedgerCounters,
  zeroCounters,
} from '../checker/ledger-contract.js';
import { VERSION } from '../cli/version.js';
import type { Unreachable } from './bot/load-bot.js';
import { type KitDelay, worstKitDelay } from './kit-delay.js';
import { LATENCY_FIGURE_LIST, LatencyHistograms, type LatencySummary } from './latency.js';
import type { LoadProfile, ThresholdFigure } from './profile/types.js';
import { evaluateThresholds, type Figures, type LatencyFigure, type ThresholdOutcome } from './thresholds.js';
import type { LoadTimeline } from './timeline.js';
import { DROP_REASONS, type DropReason, noDrops, type WorkerResult } from './worker/messages.js';

/** Findings kept in the summary per (kind, requirement); counts cover them all. */
export const MAX_FINDINGS_PER_RULE = 20;

export interface LoadResult {
  format: 'imspec-load-result/1';
  imspec: string;
  runId: string;
  profile: { name: string; file: string; hash: string; description: string };
  startedAt: string;
  /** Wall time of the whole run (connect, schedule, drain). */
  wallMs: number;
  seed: number;
  target: string;
  driver: string;
  /** This run's part of a sharded run (issue: --shard i/N); absent for a whole run. */
  shard?: { index: number; count: number };
  /** Set by `imspec merge`: the shard runs this result adds up, by index. */
  merged?: { shards: number; runIds: string[] };
  workers: number;
  bots: number;
  connectFailures: number;
  /** Bots whose logins were still failing at the end: the target stopped taking connections. */
  unreachable?: Unreachable;
  schedule: { durationMs: number; offered: number };
  dropped: Record<DropReason | 'total', number>;
  counters: LedgerCounters;
  /** Messages still in flight when the drain ran out (judged as they stood). */
  unsettled: number;
  /** How late the kit's own event loop ran (worst worker): its figures include this delay. */
  kitDelay?: KitDelay;
  faultsInjected: number;
  /** Times a receiving device went offline on the profile's schedule. */
  offlineDepartures: number;
  process: { t: number; action: string; detail?: string }[];
  latency: Record<LatencyFigure, LatencySummary>;
  /** figure → HdrHistogram compressed base64 (merge these, never the summaries). */
  histograms: Record<string, string>;
  findings: EvidencedFinding[];
  /** Findings per "kind requirement", including those left out of `findings`. */
  findingCounts: Record<string, number>;
  thresholds: ThresholdOutcome[];
  /** Set when an abortOnFail threshold stopped the sends early. */
  aborted?: { threshold: string; t: number };
  /** Ctrl-C or SIGTERM during the schedule: sends stopped at `t`, the rest drained and judged. */
  interrupted?: { signal: string; t: number };
  /** Per-second series (offered, achieved, in flight, retransmits, p99s) for charts. */
  timeline?: LoadTimeline;
  /** 0 every threshold held; 1 one broke. */
  exitCode: 0 | 1;
}

/** Worker results → one run's figures (exact: counters add, histograms merge). */
export interface Merged {
  offered: number;
  dropped: Record<DropReason | 'total', number>;
  counters: LedgerCounters;
  histograms: LatencyHistograms;
  findings: EvidencedFinding[];
  findingCounts: Record<string, number>;
  unsettled: number;
  kitDelay: KitDelay | undefined;
  faultsInjected: number;
  offlineDepartures: number;
  bots: number;
  connectFailures: number;
  unreachable: Unreachable | undefined;
}

export function mergeWorkers(results: readonly WorkerResult[]): Merged {
  const counters = zeroCounters();
  const histograms = new LatencyHistograms();
  const dropped: Record<DropReason | 'total', number> = { ...noDrops(), total: 0 };
  const findingCounts: Record<string, number> = {};
  const findings: EvidencedFinding[] = [];
  let offered = 0;
  let unsettled = 0;
  let faultsInjected = 0;
  let offlineDepartures = 0;
  let bots = 0;
  let connectFailures = 0;
  let unreachable: Unreachable | undefined;
  for (const r of results) {
    addCounters(counters, r.counters);
    histograms.add(LatencyHistograms.decode(r.histograms));
    offered += r.offered;
    for (const reason of DROP_REASONS) {
      dropped[reason] += r.dropped[reason];
      dropped.total += r.dropped[reason];
    }
    unsettled += r.unsettled;
    faultsInjected += r.faultsInjected;
    offlineDepartures += r.offlineDepartures;
    bots += r.bots;
    connectFailures += r.connectFailures;
    if (r.unreachable) unreachable = addUnreachable(unreachable, r.unreachable);
    for (const f of r.findings) {
      const key = `${f.kind} ${f.requirement}`;
      findingCounts[key] = (findingCounts[key] ?? 0) + 1;
      if (findingCounts[key]! <= MAX_FINDINGS_PER_RULE) findings.push(f);
    }
  }
  return {
    offered,
    dropped,
    counters,
    histograms,
    findings,
    findingCounts,
    unsettled,
    kitDelay: worstKitDelay(results.map((r) => r.kitDelay)),
    faultsInjected,
    offlineDepartures,
    bots,
    connectFailures,
    unreachable,
  };
}

/** Two workers' (or shards') unreachable bots as one: counts add, the earliest start, the later error. */
function addUnreachable(a: Unreachable | undefined, b: Unreachable): Unreachable {
  if (a === undefined) return { ...b };
  return { bots: a.bots + b.bots, since: Math.min(a.since, b.since), error: b.error };
}

/** The figures thresholds read, over merged results. */
export function figuresOf(
  m: Pick<Merged, 'counters' | 'dropped' | 'offered' | 'histograms' | 'findings' | 'findingCounts'>,
): Figures {
  const c = m.counters;
  const values: Record<Exclude<ThresholdFigure, LatencyFigure>, () => number> = {
    sent: () => c.sent,
    accepted: () => c.accepted,
    delivered: () => c.delivered,
    // Never committed, or acknowledged and then forgotten by a restarted server (DUR-1: the
    // client's retransmission got it through again, as a new message) — the ledger counts both.
    lost: () => c.lost,
    'duplicates.app': () => c.appDuplicates,
    'duplicates.wire': () => c.wireDuplicates,
    // Sends whose outcome the sender never learned and that never showed up at the receiver; the
    // ones that did (recovered) kept the promise, however the sender's msg:A got lost.
    unknown_outcome: () => Math.max(0, c.unknownOutcome - c.recovered),
    retransmits: () => c.retransmits,
    retransmit_rate: () => (c.sent === 0 ? 0 : c.retransmits / c.sent),
    dropped: () => m.dropped.total,
    dropped_rate: () => (m.offered === 0 ? 0 : m.dropped.total / m.offered),
    seq_gaps: () => c.seqGaps,
    findings: () => m.findings.filter((f) => f.level === 'MUST').length,
  };
  return {
    value: (figure) => values[figure](),
    latency: (figure, a) => {
      const h = m.histograms;
      switch (a.kind) {
        case 'p':
          return h.percentile(figure, a.p);
        case 'max':
          return h.max(figure);
        case 'min':
          return h.min(figure);
        case 'mean':
          return h.mean(figure);
      }
    },
  };
}

export interface RunInfo {
  runId: string;
  /** What the result names and judges by (`imspec merge` has these from the shard files). */
  profile: Pick<LoadProfile, 'name' | 'file' | 'hash' | 'description' | 'thresholds' | 'durationMs'>;
  startedAt: string;
  wallMs: number;
  seed: number;
  target: string;
  driver: string;
  workers: number;
  process: LoadResult['process'];
  aborted?: LoadResult['aborted'];
  interrupted?: LoadResult['interrupted'];
  shard?: LoadResult['shard'];
  timeline?: LoadTimeline;
  merged?: LoadResult['merged'];
}

export function buildLoadResult(info: RunInfo, m: Merged): LoadResult {
  const thresholds = evaluateThresholds(info.profile.thresholds, figuresOf(m));
  const latency = {} as Record<LatencyFigure, LatencySummary>;
  for (const f of LATENCY_FIGURE_LIST) latency[f] = m.histograms.summary(f);
  const result: LoadResult = {
    format: 'imspec-load-result/1',
    imspec: VERSION,
    runId: info.runId,
    profile: {
      name: info.profile.name,
      file: info.profile.file,
      hash: info.profile.hash,
      description: info.profile.description,
    },
    startedAt: info.startedAt,
    wallMs: info.wallMs,
    seed: info.seed,
    target: info.target,
    driver: info.driver,
    workers: info.workers,
    bots: m.bots,
    connectFailures: m.connectFailures,
    schedule: { durationMs: info.profile.durationMs, offered: m.offered },
    dropped: m.dropped,
    counters: m.counters,
    unsettled: m.unsettled,
    faultsInjected: m.faultsInjected,
    offlineDepartures: m.offlineDepartures,
    process: info.process,
    latency,
    histograms: m.histograms.encode(),
    findings: m.findings,
    findingCounts: m.findingCounts,
    thresholds,
    // An interrupted run is judged on what ran, but never passes: the load it promised was not applied.
    exitCode:
      thresholds.every((t) => t.ok) && info.aborted === undefined && info.interrupted === undefined ? 0 : 1,
  };
  if (info.shard) result.shard = info.shard;
  if (info.merged) result.merged = info.merged;
  if (info.aborted) result.aborted = info.aborted;
  if (info.interrupted) result.interrupted = info.interrupted;
  if (info.timeline) result.timeline = info.timeline;
  if (m.kitDelay) result.kitDelay = m.kitDelay;
  if (m.unreachable) result.unreachable = m.unreachable;
  return result;
}
