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
import { type ExemplarSlot, ExemplarSlots } from './exemplars.js';

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
  /**
   * The series of latency histogram `key` with exactly these labels, observing with the message
   * as exemplar (cached: resolve once per series, observe per message).
   */
  latency(key: ExemplarKey, labels: Labels): LatencyCell;
}

/** Histograms whose buckets carry a message exemplar (MetricDefinition.exemplars). */
export type ExemplarKey = 'ackLatency' | 'deliveryLatency';

/** One latency series: observes a duration and remembers the message as its bucket's exemplar. */
export interface LatencyCell {
  /** `cmid`/`smid` as the frame carried them; anything but a string or number is left out. */
  observe(seconds: number, cmid: unknown, smid?: unknown): void;
}

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
  const exemplars = new Map<string, ExemplarSlots>();
  for (const [key, d] of Object.entries(METRICS) as [string, MetricDefinition][]) {
    const own = new Map<string, Cell>();
    cells.set(key, own);
    if (d.type === 'histogram') {
      const slots = d.exemplars ? new ExemplarSlots(d.labels) : undefined;
      if (slots) exemplars.set(key, slots);
      handles[key] = create(d, registry, () => slots?.flush(handles[key] as Histogram<LabelName>));
      continue;
    }
    const flush = (): void => {
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
  const cell = (key: CounterKey, labels: Labels): CounterCell => {
    const own = cells.get(key)!;
    const id = METRICS[key].labels.map((l) => labels[l] ?? '').join('\u0000');
    let c = own.get(id);
    if (!c) {
      c = new Cell({ ...labels });
      own.set(id, c);
    }
    return c;
  };
  const latencies = new Map<string, LatencyCell>();
  const latency = (key: ExemplarKey, labels: Labels): LatencyCell => {
    const id = `${key}\u0000${METRICS[key].labels.map((l) => labels[l] ?? '').join('\u0000')}`;
    let c = latencies.get(id);
    if (!c) {
      const histogram = m[key];
      const own = { ...labels };
      const slot: ExemplarSlot = exemplars.get(key)!.slot(own, histogram);
      c = {
        observe(seconds, cmid, smid) {
          histogram.observe(own, seconds);
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

  const metrics: ImspecMetrics = { registry, m, zeroInit, cell, latency };
  cache.set(registry, metrics);
  return metrics;
}
