/**
 * Thresholds, k6 style: pass/fail criteria on a run's figures. Pure: expressions in, parsed
 * thresholds out; figures in, outcomes out.
 *
 *   lost: ['== 0']                         a count
 *   retransmit_rate: ['< 0.02']            a ratio (retransmits per message sent), or '< 2%'
 *   ack_latency.msg_a: ['p(99) < 200ms']   a latency: p(N), max, min, avg or med, then a duration
 *   delivery_latency: [{ threshold: 'p(99.9) < 2s', abortOnFail: true }]
 *
 * Latency figures measured from the actual send are `ack_latency.msg_a`, `ack_latency.ack_n` and
 * `delivery_latency`; the same with `.scheduled` are measured from the time the schedule meant
 * the send to start (no coordinated omission: a late send counts its lateness).
 */

import { didYouMean } from '../hints.js';
import {
  type Aggregation,
  type Comparison,
  THRESHOLD_FIGURES,
  type Threshold,
  type ThresholdFigure,
} from './profile/types.js';

/** The latency figures (they take an aggregation and a duration). */
export const LATENCY_FIGURES = [
  'ack_latency.msg_a',
  'ack_latency.ack_n',
  'delivery_latency',
  'ack_latency.msg_a.scheduled',
  'ack_latency.ack_n.scheduled',
  'delivery_latency.scheduled',
] as const satisfies readonly ThresholdFigure[];
export type LatencyFigure = (typeof LATENCY_FIGURES)[number];

const RATIO_FIGURES: readonly ThresholdFigure[] = ['retransmit_rate', 'dropped_rate'];

export function isLatencyFigure(figure: string): figure is LatencyFigure {
  return (LATENCY_FIGURES as readonly string[]).includes(figure);
}

export function isThresholdFigure(figure: string): figure is ThresholdFigure {
  return (THRESHOLD_FIGURES as readonly string[]).includes(figure);
}

/** Why a figure name is not one, with a hint. */
export function unknownFigure(figure: string): string {
  const hint = didYouMean(figure, THRESHOLD_FIGURES);
  return `unknown figure "${figure}"${hint || `; use one of ${THRESHOLD_FIGURES.join(', ')}`}`;
}

const EXPRESSION =
  /^\s*(?:(p)\(\s*(\d+(?:\.\d+)?)\s*\)|(max|min|avg|med))?\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(ms|s|us|µs|%)?\s*$/;

/**
 * Parses one expression for `figure`. Throws an Error whose message says what is wrong and what
 * to write instead (the profile loader puts it at the expression's file:line:col).
 */
export function parseThreshold(figure: ThresholdFigure, source: string, abortOnFail: boolean): Threshold {
  const m = EXPRESSION.exec(source);
  const latency = isLatencyFigure(figure);
  const example = latency ? `'p(99) < 200ms'` : RATIO_FIGURES.includes(figure) ? `'< 0.02'` : `'== 0'`;
  if (!m) throw new Error(`cannot read threshold "${source}" for ${figure}: write it like ${example}`);
  const [, p, pValue, named, op, number, unit] = m;
  let aggregation: Aggregation | undefined;
  if (p) {
    const q = Number(pValue);
    if (!(q > 0 && q <= 100))
      throw new Error(`p(${pValue}) in "${source}": a percentile is above 0, at most 100`);
    aggregation = { kind: 'p', p: q };
  } else if (named === 'med') {
    aggregation = { kind: 'p', p: 50 };
  } else if (named) {
    aggregation = { kind: named === 'avg' ? 'mean' : (named as 'max' | 'min') };
  }
  if (latency && !aggregation) {
    throw new Error(
      `${figure} is a latency: say which aggregate, e.g. ${example} (p(N), max, min, avg, med)`,
    );
  }
  if (!latency && aggregation) {
    throw new Error(`${figure} is a single number, not a distribution: write it like ${example}`);
  }
  let value = Number(number);
  if (latency) {
    if (unit === '%') throw new Error(`"${source}": a latency takes ms, s or us, not %`);
    value *= unit === 's' ? 1000 : unit === 'us' || unit === 'µs' ? 0.001 : 1;
  } else if (unit === '%') {
    if (!RATIO_FIGURES.includes(figure))
      throw new Error(`"${source}": ${figure} is a count; % fits ratios only`);
    value /= 100;
  } else if (unit !== undefined) {
    throw new Error(`"${source}": ${figure} is not a duration; drop the "${unit}"`);
  }
  return { figure, source, aggregation, op: op as Comparison, value, abortOnFail };
}

/** What a threshold is evaluated against. Latencies answer an aggregation in ms (NaN: no data). */
export interface Figures {
  value(figure: Exclude<ThresholdFigure, LatencyFigure>): number;
  latency(figure: LatencyFigure, aggregation: Aggregation): number;
}

export interface ThresholdOutcome {
  figure: ThresholdFigure;
  source: string;
  ok: boolean;
  /** The figure's value the threshold was judged on (ms for latencies; NaN when no data). */
  actual: number;
  abortOnFail: boolean;
}

export function compare(actual: number, op: Comparison, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/**
 * Judges every threshold. A latency threshold with no data (no message got that far) fails:
 * "p(99) < 200ms" over nothing is not a promise kept.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], figures: Figures): ThresholdOutcome[] {
  return thresholds.map((t) => {
    const actual =
      isLatencyFigure(t.figure) && t.aggregation
        ? figures.latency(t.figure, t.aggregation)
        : figures.value(t.figure as Exclude<ThresholdFigure, LatencyFigure>);
    const ok = !Number.isNaN(actual) && compare(actual, t.op, t.value);
    return { figure: t.figure, source: t.source, ok, actual, abortOnFail: t.abortOnFail };
  });
}

/** "p(99) of ack_latency.msg_a was 12.3 ms", for reports. */
export function describeActual(o: ThresholdOutcome, aggregation: Aggregation | undefined): string {
  if (Number.isNaN(o.actual)) return 'no data';
  if (!aggregation) return Number.isInteger(o.actual) ? String(o.actual) : o.actual.toFixed(4);
  const what = aggregation.kind === 'p' ? `p(${aggregation.p})` : aggregation.kind;
  return `${what} ${formatMs(o.actual)}`;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms * 1000)} µs`;
}
