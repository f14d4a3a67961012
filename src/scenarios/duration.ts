/**
 * Durations in scenario YAML: "250ms", "2s", "1.5s", "1m", or integer milliseconds. The schema
 * (`$defs/duration` in schemas/scenario.schema.json) checks the form; this turns it into ms.
 */

import { ScenarioError } from '../errors.js';

const FORM = /^(\d+)ms$|^(\d+(?:\.\d+)?)(s|m)$/;

const UNIT_MS = { s: 1000, m: 60_000 } as const;

/**
 * Milliseconds for a duration value. Fractions round to the nearest millisecond ("1.0005s" is 1001).
 * @throws ScenarioError when `value` is not a duration (the schema check runs first, so the loader never sees this).
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
  } else {
    const m = FORM.exec(value);
    if (m) {
      if (m[1] !== undefined) return Number(m[1]);
      return Math.round(Number(m[2]) * UNIT_MS[m[3] as 's' | 'm']);
    }
  }
  throw new ScenarioError(
    `${JSON.stringify(value)} is not a duration: write 250ms, 2s, 1.5s, 1m, or integer milliseconds`,
  );
}

/** Renders milliseconds back in the shortest YAML form that parses to the same value. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
