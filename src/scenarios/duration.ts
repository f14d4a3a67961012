/**
 * Durations in scenario YAML: "250ms", "2s", "1.5s", "1m", or integer milliseconds. The schema
 * (`$defs/duration` in schemas/scenario.schema.json) checks the form; this turns it into ms.
 */

import { ScenarioError } from '../errors.js';
import { MAX_DURATION_MS, tooLongMessage } from '../faults/duration.js';

export { MAX_DURATION_MS, tooLongMessage };

/** The ajv format the schemas' `$defs/duration` carry, so a too-long duration fails at its node. */
export const DURATION_FORMAT = 'imspec-duration';

/** Registers DURATION_FORMAT (strings of the duration form, at most MAX_DURATION_MS) on an ajv. */
export function addDurationFormat(ajv: {
  addFormat(name: string, format: { type: 'string'; validate: (s: string) => boolean }): unknown;
}): void {
  ajv.addFormat(DURATION_FORMAT, {
    type: 'string',
    // Strings of another form fail the schema's pattern; this judges only the length of time (of
    // what a `wait: limits.NAME + DURATION` adds, too).
    validate: (s) => (msOf(s.replace(LIMIT_HEAD, '')) ?? 0) <= MAX_DURATION_MS,
  });
}

/** The `limits.NAME + ` of a limit-relative duration. */
const LIMIT_HEAD = /^limits\.\w+ \+ /;

const FORM = /^(\d+)ms$|^(\d+(?:\.\d+)?)(s|m)$/;

const UNIT_MS = { s: 1000, m: 60_000 } as const;

/**
 * Milliseconds for a duration value. Fractions round to the nearest millisecond ("1.0005s" is 1001).
 * @throws ScenarioError when `value` is not a duration or is longer than MAX_DURATION_MS (the schema
 *   check runs first, so the loader never sees this).
 */
export function parseDuration(value: string | number): number {
  const ms =
    typeof value === 'number' ? (Number.isInteger(value) && value >= 0 ? value : undefined) : msOf(value);
  if (ms !== undefined && ms > MAX_DURATION_MS) throw new ScenarioError(tooLongMessage(value));
  if (ms !== undefined) return ms;
  throw new ScenarioError(
    `${JSON.stringify(value)} is not a duration: write 250ms, 2s, 1.5s, 1m, or integer milliseconds`,
  );
}

function msOf(text: string): number | undefined {
  const m = FORM.exec(text);
  if (!m) return undefined;
  if (m[1] !== undefined) return Number(m[1]);
  return Math.round(Number(m[2]) * UNIT_MS[m[3] as 's' | 'm']);
}

/** Renders milliseconds back in the shortest YAML form that parses to the same value. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
