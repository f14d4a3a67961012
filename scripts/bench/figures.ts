/**
 * What every bench section shares: a summary of interleaved rounds (median with min and max —
 * never the best round, which flatters), and `figure()`, which hands one line of the final goal
 * table to the harness (scripts/bench.ts) over the child process's IPC channel. A section run on
 * its own (no IPC channel) just prints.
 *
 * Goals are the project's (docs/architecture.md, "Performance budget"); each section states its
 * own next to the figure it measures, so one line says figure, goal and whether it is met.
 */

import { readFileSync } from 'node:fs';

/**
 * CPU µs the process `pid` has used (user + system), from /proc (Linux; clock ticks taken as
 * 100 Hz, Linux's USER_HZ), or undefined where there is no /proc: the server's share of a round.
 */
export function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** CPU ms of this process since `from` (user + system, all its threads). */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** One row of the goal table, as `npm run bench -- --json FILE` writes it. */
export interface Figure {
  figure: string;
  /** The goal as text (`≥ 0.90×`, `≤ 50 µs`). */
  goal: string;
  /** The measured value as text. */
  now: string;
  /** Whether the goal is met; null when nothing could be measured (e.g. a binary is missing). */
  met: boolean | null;
  /**
   * Where the goal sits, when the section measures a floor (floor-server.ts, kit-floor.ts): what
   * the least possible work reaches on the figure's own scale, and whether even that meets the
   * goal. A floor that misses puts the goal out of reach of any implementation on this machine.
   */
  floor?: { now: string; met: boolean };
}

/** Median, min and max of a series of rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/**
 * Ratios of paired rounds (round i of `a` over round i of `b`, measured back to back), summarised:
 * pairing cancels the drift a shared machine adds between rounds far better than a ratio of medians.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Spread {
  const n = Math.min(a.length, b.length);
  return spread(Array.from({ length: n }, (_, i) => a[i]! / b[i]!));
}

/** `12,345/s (min 11,000, max 13,000)`-style text; `digits` for ratios and microseconds. */
export function fmtSpread(x: Spread, unit = '', digits = 0): string {
  const f = (v: number) => (digits === 0 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));
  return `${f(x.median)}${unit} (min ${f(x.min)}, max ${f(x.max)})`;
}

/** Reports one goal-table row to the harness and prints it under the section's own output. */
export function figure(row: Figure): void {
  const mark = row.met === null ? 'n/a' : row.met ? 'met' : 'MISSED';
  const floor = row.floor ? `; floor ${row.floor.now}, ${row.floor.met ? 'meets it' : 'misses it too'}` : '';
  console.log(`  → ${row.figure}: ${row.now}  (goal ${row.goal}: ${mark}${floor})`);
  process.send?.({ imspecBenchFigure: row });
}

/**
 * `≥ goal` as a figure row: `value` against `goal`, printed with `digits`; with `floor` (what the
 * least possible work reaches on the same scale, measured in the same run), judged the same way.
 */
export function atLeast(
  name: string,
  value: number,
  goal: number,
  unit = '×',
  digits = 2,
  floor?: number,
): Figure {
  const fmt = (v: number) => `${Number.isFinite(v) ? v.toFixed(digits) : 'n/a'}${unit}`;
  return {
    figure: name,
    goal: `≥ ${goal.toFixed(digits)}${unit}`,
    now: fmt(value),
    met: Number.isFinite(value) ? value >= goal : null,
    ...(floor !== undefined && Number.isFinite(floor)
      ? { floor: { now: fmt(floor), met: floor >= goal } }
      : {}),
  };
}

/** `≤ goal` as a figure row. */
export function atMost(name: string, value: number, goal: number, unit: string, digits = 0): Figure {
  return {
    figure: name,
    goal: `≤ ${goal.toFixed(digits)}${unit}`,
    now: `${Number.isFinite(value) ? value.toFixed(digits) : 'n/a'}${unit}`,
    met: Number.isFinite(value) ? value <= goal : null,
  };
}

/** A positive integer from the environment, or the fallback. */
export function envInt(name: string, fallback: number): number {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
