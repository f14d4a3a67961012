/**
 * Registers the metric table (definitions.ts) in a prom-client Registry that the caller owns.
 * Never prom-client's global registry: two runs in one process (tests, the monitor beside a
 * run) must not share counters, and a library must not leak state into its host's /metrics.
 */

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REQUIREMENTS } from '../protocol/requirements.js';
import {
  type BaseLabels,
  frameLabelTriples,
  type LabelName,
  type Labels,
  METRICS,
  type MetricDefinition,
  type MetricKey,
} from './definitions.js';
import { bucketOf, type ExemplarSlot, ExemplarSlots } from './exemplars.js';

type Handle = Counter<LabelName> | Gauge<LabelName> | Histogram<LabelName>;

/** The live metric objects, one per entry of METRICS, all registered in `registry`. */
export type MetricHandles = {
  readonly [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'counter'
    ? Counter<LabelName>
    : (typeof METRICS)[K]['type'] extends 'gauge'
      ? Gauge<LabelName>
      : Histogram<LabelName>;
};

export interface ImspecMetrics {
  readonly registry: Registry;
  readonly m: MetricHandles;
  /**
   * Creates every known label combination for these base labels with value 0, so `rate()` and
   * `increase()` have a series from the first scrape (a counter born at 5 reads as no increase).
   * Idempotent; call it when a case (or the monitor) starts.
   */
  zeroInit(base: BaseLabels): void;
  /** The buffered series of counter `key` with exactly these labels (cached; see CounterCell). */
  cell(key: CounterKey, labels: Labels): CounterCell;
  /** The buffered series of histogram `key` with exactly these labels (cached; see HistogramCell). */
  histogram(key: HistogramKey, labels: Labels): HistogramCell;
  /**
   * The series of latency histogram `key` with exactly these labels, observing with the message
   * as exemplar (cached: resolve once per series, observe per message).
   */
  latency(key: ExemplarKey, labels: Labels): LatencyCell;
  /**
   * Runs `drain` once, before the registry is next read (a scrape, a push, `get()`), unless it
   * ran first: a feeder that holds events back (from-history.ts) hands them over before any
   * series is read, so a reader never sees fewer events than were appended.
   */
  beforeRead(drain: () => void): void;
}

/** Histograms whose buckets carry a message exemplar (MetricDefinition.exemplars). */
export type ExemplarKey = 'ackLatency' | 'deliveryLatency';

/** One latency series: observes a duration and remembers the message as its bucket's exemplar. */
export interface LatencyCell {
  /** `cmid`/`smid` as the frame carried them; anything but a string or number is left out. */
  observe(seconds: number, cmid: unknown, smid?: unknown): void;
}

/** Keys of METRICS whose type is histogram. */
export type HistogramKey = {
  [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'histogram' ? K : never;
}[MetricKey];

/** Keys of METRICS whose type is counter. */
export type CounterKey = {
  [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'counter' ? K : never;
}[MetricKey];

const cache = new WeakMap<Registry, ImspecMetrics>();

/**
 * A buffered increment of one counter series. The history listener sees several events per
 * message; prom-client hashes and validates the labels on every `inc` (about 1 µs, plus garbage),
 * which measured 4 µs per event in all. A cell is a plain number added on the hot path and
 * moved into the counter when the registry is read (prom-client's `collect` hook, run on every
 * scrape, push and `get()`), so readers never see a stale value.
 */
export interface CounterCell {
  inc(by?: number): void;
}

class Cell implements CounterCell {
  pending = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    this.pending += by;
  }
}

/**
 * A buffered histogram series, for the same reason as CounterCell: prom-client's `observe`
 * validates and hashes the labels and builds a closure on every call (three per message in the
 * load engine). A cell counts into its own buckets and adds them into the series when the
 * registry is read. It relies on prom-client 15's series record (`hashMap` entries with `sum`,
 * `count` and per-bound `bucketValues`); where that is not what it finds, it observes directly.
 */
export interface HistogramCell {
  observe(value: number): void;
}

interface SeriesRecord {
  labels: Labels;
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

class HCell implements HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    this.observeAt(bucketOf(this.bounds, value), value);
  }

  /** `observe`, the bucket found by the caller (`bucketOf` over `bounds`). */
  observeAt(i: number, value: number): void {
    if (!Number.isFinite(value)) return;
    // Above the last bound only +Inf (count) holds it, as prom-client does.
    if (i < this.bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k as LabelName] !== b[k as LabelName]) return false;
  return true;
}

/** The series record of `labels` in `h`, created at zero; undefined if prom-client changed. */
function seriesRecord(h: Histogram<LabelName>, labels: Labels): SeriesRecord | undefined {
  const table = (h as unknown as { hashMap?: Record<string, SeriesRecord> }).hashMap;
  if (table === undefined || typeof table !== 'object') return undefined;
  const find = () => Object.values(table).find((r) => r && sameLabels(r.labels ?? {}, labels));
  let r = find();
  if (!r) {
    h.zero(labels);
    r = Object.values((h as unknown as { hashMap: Record<string, SeriesRecord> }).hashMap).find(
      (x) => x && sameLabels(x.labels ?? {}, labels),
    );
  }
  const ok =
    r !== undefined &&
    typeof r.sum === 'number' &&
    typeof r.count === 'number' &&
    typeof r.bucketValues === 'object' &&
    r.bucketValues !== null;
  return ok ? r : undefined;
}

/** Direct observation, where prom-client's record is not what HCell expects. */
class DirectCell implements HistogramCell {
  constructor(
    private readonly h: Histogram<LabelName>,
    private readonly labels: Labels,
  ) {}
  observe(value: number): void {
    this.h.observe(this.labels, value);
  }
}

function create(d: MetricDefinition, registry: Registry, flush: () => void): Handle {
  const common = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [registry] };
  switch (d.type) {
    case 'counter':
      return new Counter<LabelName>({ ...common, collect: flush });
    case 'gauge':
      return new Gauge<LabelName>(common);
    case 'histogram':
      return new Histogram<LabelName>({ ...common, buckets: [...(d.buckets ?? [])], collect: flush });
  }
}

/** Cartesian product of the known values of the non-base labels of one definition. */
function combos(d: MetricDefinition): Labels[] {
  let out: Labels[] = [{}];
  for (const label of d.labels) {
    const values = d.values?.[label];
    if (!values) continue;
    out = out.flatMap((l) => values.map((v) => ({ ...l, [label]: v })));
  }
  return out;
}

/**
 * Registers imspec's metrics in `registry` (once per registry: a second call returns the same
 * handles, so the runner and the monitor can both ask for them).
 */
export function createMetrics(registry: Registry): ImspecMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const handles: Record<string, Handle> = {};
  const cells = new Map<string, Map<string, Cell>>();
  const hcells = new Map<string, Map<string, HCell>>();
  const exemplars = new Map<string, ExemplarSlots>();
  // Feeders holding events back (beforeRead): each runs once, at the first series read.
  const drains = new Set<() => void>();
  const beforeRead = (drain: () => void): void => {
    drains.add(drain);
  };
  for (const [key, d] of Object.entries(METRICS) as [string, MetricDefinition][]) {
    const own = new Map<string, Cell>();
    cells.set(key, own);
    const hown = new Map<string, HCell>();
    hcells.set(key, hown);
    const slots = d.type === 'histogram' && d.exemplars ? new ExemplarSlots(d.labels) : undefined;
    if (slots) exemplars.set(key, slots);
    const flush = (): void => {
      for (const drain of drains) {
        drains.delete(drain);
        drain();
      }
      if (d.type === 'histogram') {
        const h = handles[key] as Histogram<LabelName>;
        for (const c of hown.values()) {
          if (c.count === 0) continue;
          const r = seriesRecord(h, c.labels);
          if (!r) continue; // checked when the cell was made; prom-client cannot change mid-run
          r.sum += c.sum;
          r.count += c.count;
          for (let i = 0; i < c.bounds.length; i++) {
            const n = c.counts[i]!;
            if (n === 0) continue;
            const bound = String(c.bounds[i]);
            r.bucketValues[bound] = (r.bucketValues[bound] ?? 0) + n;
            c.counts[i] = 0;
          }
          c.sum = 0;
          c.count = 0;
        }
        // After the counts: an exemplar goes into the bucket its observation is already in.
        slots?.flush(h);
        return;
      }
      const counter = handles[key] as Counter<LabelName>;
      for (const c of own.values()) {
        if (c.pending === 0) continue;
        counter.inc(c.labels, c.pending);
        c.pending = 0;
      }
    };
    handles[key] = create(d, registry, flush);
  }
  const m = handles as unknown as MetricHandles;
  const idOf = (key: MetricKey, labels: Labels) =>
    METRICS[key].labels.map((l) => labels[l] ?? '').join('\u0000');
  const cell = (key: CounterKey, labels: Labels): CounterCell => {
    const own = cells.get(key)!;
    const id = idOf(key, labels);
    let c = own.get(id);
    if (!c) {
      c = new Cell({ ...labels });
      own.set(id, c);
    }
    return c;
  };
  const histogram = (key: HistogramKey, labels: Labels): HistogramCell => {
    const h = handles[key] as Histogram<LabelName>;
    const own = hcells.get(key)!;
    const id = idOf(key, labels);
    let c = own.get(id);
    if (!c) {
      const copy = { ...labels };
      if (!seriesRecord(h, copy)) return new DirectCell(h, copy);
      c = new HCell(
        copy,
        (h as unknown as { upperBounds: number[] }).upperBounds ?? METRICS[key].buckets ?? [],
      );
      own.set(id, c);
    }
    return c;
  };
  const latencies = new Map<string, LatencyCell>();
  const latency = (key: ExemplarKey, labels: Labels): LatencyCell => {
    const id = `${key}\u0000${idOf(key, labels)}`;
    let c = latencies.get(id);
    if (!c) {
      const own = { ...labels };
      const series = histogram(key, own);
      const slot: ExemplarSlot = exemplars.get(key)!.slot(own, m[key]);
      // Both count by prom-client's bounds (the same array): the bucket is searched once.
      const bounds = slot.bounds;
      c =
        series instanceof HCell && series.bounds === bounds
          ? {
              observe(seconds, cmid, smid) {
                const i = bucketOf(bounds, seconds);
                series.observeAt(i, seconds);
                slot.noteAt(i, seconds, cmid, smid);
              },
            }
          : {
              observe(seconds, cmid, smid) {
                series.observe(seconds);
                slot.note(seconds, cmid, smid);
              },
            };
      latencies.set(id, c);
    }
    return c;
  };
  const initialised = new Set<string>();

  const zeroInit = (base: BaseLabels): void => {
    const id = `${base.scenario}\u0000${base.driver}\u0000${base.suite}`;
    if (initialised.has(id)) return;
    initialised.add(id);
    for (const [key, d] of Object.entries(METRICS) as [MetricKey, MetricDefinition][]) {
      const handle = handles[key]!;
      if (key === 'frames') {
        for (const t of frameLabelTriples()) m.frames.inc({ ...base, ...t }, 0);
        // Packets with no RAN/1 counterpart (MQTT SUBACK, XMPP presence) count as op="unknown".
        for (const direction of ['in', 'out']) {
          m.frames.inc({ ...base, op: 'unknown', kind: 'unknown', direction }, 0);
        }
        continue;
      }
      if (key === 'schemaViolations') {
        // Only inbound frames are validated (FRAME-4): A and N kinds.
        for (const t of frameLabelTriples()) {
          if (t.direction === 'in') m.schemaViolations.inc({ ...base, op: t.op, kind: t.kind }, 0);
        }
        // An undecodable frame has no op: its series too must exist before the first one comes.
        m.schemaViolations.inc({ ...base, op: 'unknown', kind: 'unknown' }, 0);
        continue;
      }
      if (key === 'findings') {
        // Every requirement of docs/protocol.md, so a case's first finding of one is an increase.
        for (const r of REQUIREMENTS) m.findings.inc({ ...base, requirement: r.id, level: r.level }, 0);
        continue;
      }
      if (key === 'probeSuccess' || key === 'probeDuration' || key === 'caseVerdict') {
        // Gauges that mean something only once set: a probe that never ran is absent, not 0
        // (absent() alerts on it); a verdict appears when the case ends.
        continue;
      }
      for (const extra of combos(d)) {
        const labels = { ...base, ...extra };
        if (handle instanceof Histogram) handle.zero(labels);
        else if (handle instanceof Counter) handle.inc(labels, 0);
      }
    }
  };

  const metrics: ImspecMetrics = { registry, m, zeroInit, cell, histogram, latency, beforeRead };
  cache.set(registry, metrics);
  return metrics;
}
