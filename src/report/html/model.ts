/**
 * The HTML report's model: plain JSON, built first (build.ts, timeline.ts, load.ts) and rendered
 * last (render.ts inlines it into the page, whose script draws it). Every command that writes an
 * HTML report — `run`, `explore`, `load`, `certify` — fills this one shape, so one page reads
 * them all. docs/reports.md documents it for authors of new producers.
 *
 * Self-contained on purpose (no imports): the page's own TypeScript (client/) type-checks against
 * these declarations without pulling in node-side code.
 */

/** Bumped when a field changes meaning; the page refuses models it does not know. */
export const REPORT_MODEL_VERSION = 1;

export type ReportVerdict =
  | 'PASS'
  | 'FAIL'
  | 'WARN'
  | 'INFO'
  | 'UNSUPPORTED'
  | 'INCONCLUSIVE'
  | 'ERROR'
  | 'FLAKY'
  | 'XFAIL';
export type ReportLevel = 'MUST' | 'SHOULD' | 'MAY';

export interface ReportModel {
  version: number;
  /** Which command produced it (the page's title and sections follow it). */
  kind: 'run' | 'explore' | 'load' | 'certify';
  title: string;
  meta: ReportMeta;
  /** Verdict → number of cases. */
  counts: Partial<Record<ReportVerdict, number>>;
  cases: CaseModel[];
  /** Requirement ids: which cases cover each and how they ended. Empty when nothing was covered. */
  coverage: CoverageRow[];
  /** Load runs: time series and thresholds (load.ts). */
  load?: LoadModel;
}

export interface ReportMeta {
  /** `imspec` package version. */
  version: string;
  runId?: string;
  startedAt?: string;
  durationMs?: number;
  target: string;
  driver: string;
  seed?: number;
  /** The command line that reproduces the whole run, when the producer knows it. */
  command?: string;
  exitCode?: number;
  /** Free key/value lines the producer wants shown (server version, profile, …). */
  extra?: Record<string, string>;
}

export interface CoverageRow {
  id: string;
  level: ReportLevel | undefined;
  summary: string;
  /** Ids of the cases that name this requirement in `covers:`. */
  cases: string[];
  /** Findings against it over every case (a rule judged outside its dedicated case counts too). */
  findings: number;
  /** The worst verdict among the covering cases, or undefined when none ran. */
  worst: ReportVerdict | undefined;
}

export interface CaseModel {
  id: string;
  title: string;
  suite: string;
  file: string;
  severity: ReportLevel;
  covers: string[];
  verdict: ReportVerdict;
  reason?: string;
  durationMs: number;
  seed: number;
  replay: string;
  replays?: string[];
  findings: FindingModel[];
  /** Ledger figures (sent, accepted, delivered, lost, duplicates, retransmits, …). */
  stats?: Record<string, number>;
  latency: LatencyModel[];
  /** The case's history as a diagram; absent when the case did not run (UNSUPPORTED, ERROR). */
  timeline?: TimelineModel;
  /** The console's wire-log excerpt, for cases whose history was not kept. */
  wireLog: string[];
}

export interface FindingModel {
  kind: string;
  requirement: string;
  level: ReportLevel;
  expected: string;
  actual: string;
  /** History indexes (TimelineEvent.i) of the events that prove it. */
  evidence: number[];
  /** History indexes of injected faults that hit this finding's message (same cmid or smid). */
  faults: number[];
  cmid?: string;
  smid?: string;
}

/** Histogram of one latency figure, in ms, with fixed logarithmic bins. */
export interface LatencyModel {
  name: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Bin upper edges (ms) and counts, ascending; empty bins left out. */
  bins: Array<[upperMs: number, count: number]>;
}

/** Frame fields the diagram labels arrows with. */
export const KEY_FIELDS = ['rid', 'cmid', 'smid', 'seq', 'upTo', 'status', 'dup', 'after', 'before'] as const;

export interface TimelineModel {
  /** Lanes, left to right; the string `server` is the target's lane. */
  lanes: string[];
  events: TimelineEvent[];
  /** Events in the case's history. */
  total: number;
  /** What bounding left out (never evidence, faults or target events). */
  omitted: OmittedRange[];
  /** Frames that kept no raw text (a compact history): shown from their fields. */
  withoutRaw: number;
}

/** A stretch of the history that was left out of the model, with what it held. */
export interface OmittedRange {
  /** History index of the first and last event left out. */
  from: number;
  to: number;
  tFrom: number;
  tTo: number;
  count: number;
  /** Event label (frame type or event kind) → count. */
  byType: Record<string, number>;
}

interface EventBase {
  /** Index in the case's history (Finding.evidence refers to it). */
  i: number;
  /** ms since the case began. */
  t: number;
}

/** A frame a bot sent (`out`) or received (`in`). */
export interface FrameModel extends EventBase {
  k: 'frame';
  actor: string;
  conn: number;
  dir: 'in' | 'out';
  /** `op:KIND`, or `?` for an undecodable frame. */
  type: string;
  /** Key fields only (KEY_FIELDS). */
  fields: Record<string, string | number | boolean>;
  /** The wire text (cut when long), absent in a compact history. */
  raw?: string;
  invalid?: string;
  /** History index of the fault that acted on this frame (delay, duplicate, reorder, corrupt, cut). */
  fault?: number;
}

/** A fault a proxy (or the kit) injected. */
export interface FaultModel extends EventBase {
  k: 'fault';
  rule: string;
  action: string;
  actor?: string;
  /** `to-server` or `to-client`, for frame faults. */
  direction?: string;
  type?: string;
  fields?: Record<string, string | number | boolean>;
  /** The frame's text as the proxy saw it (cut). */
  frame?: string;
  params?: Record<string, unknown>;
  /** History index of the frame it acted on, when the bot saw that frame. */
  frameI?: number;
  /** Set on a consequence of an earlier injection (a frame a stall swallowed). */
  consequence?: boolean;
}

/** The runner acted on the target process, or the process exited. */
export interface TargetModel extends EventBase {
  k: 'target';
  action: string;
  detail?: string;
}

/** A timeline step began. */
export interface StepModel extends EventBase {
  k: 'step';
  index: number;
  label: string;
}

/** Any other bot or runner event (send, commit, retransmit, close, assert, …), drawn on its lane. */
export interface NoteModel extends EventBase {
  k: 'note';
  /** The history event's kind. */
  kind: string;
  actor?: string;
  /** One readable line. */
  text: string;
  /** For assertions that failed. */
  failed?: boolean;
}

export type TimelineEvent = FrameModel | FaultModel | TargetModel | StepModel | NoteModel;

/**
 * Load runs. The producer (src/load) fills this from its JSON summary; each series array is as long
 * as `t`. Missing series are simply not charted.
 */
export interface LoadModel {
  /** Seconds since the load began, one point per interval (usually 1 s). */
  t: number[];
  series: {
    /** Sends scheduled per second (the open model's arrival rate). */
    offered?: number[];
    /** Sends started per second. */
    achieved?: number[];
    /** Messages sent and not yet settled, sampled at the end of the interval. */
    inFlight?: number[];
    /** Retransmissions per second. */
    retransmits?: number[];
    /** Sends that could not start on time, per second. */
    dropped?: number[];
    /** p99 of msg:R → msg:A in the interval, ms. */
    ackP99Ms?: number[];
    /** p99 of send → commit in the interval, ms. */
    deliveryP99Ms?: number[];
  };
  thresholds: ThresholdModel[];
  /** Totals shown as a table (sent, delivered, lost, duplicates, …). */
  totals: Record<string, number>;
  latency: LatencyModel[];
}

export interface ThresholdModel {
  /** e.g. `ack_latency.msg_a` */
  metric: string;
  /** e.g. `p(99) < 200ms` */
  condition: string;
  /** The observed value, as the producer renders it. */
  actual: string;
  ok: boolean;
}
