/**
 * Durations in scenario YAML and duration options: "250ms", "2s", "1.5s", "1m", "2h", or integer
 * milliseconds. The schema
 * (`$defs/duration` in schemas/scenario.schema.json) checks the form; this turns it into ms.
 */

import { ScenarioError } from '../errors.js';
import { formatDuration, MAX_DURATION_MS, parseDurationText, tooLongMessage } from '../faults/duration.js';

export { formatDuration, MAX_DURATION_MS, tooLongMessage };

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
    validate: (s) => (parseDurationText(s.replace(LIMIT_HEAD, '')) ?? 0) <= MAX_DURATION_MS,
  });
}

/** The `limits.NAME + ` of a limit-relative duration. */
const LIMIT_HEAD = /^limits\.\w+ \+ /;

/**
 * Milliseconds for a duration value. Fractions round to the nearest millisecond ("1.0005s" is 1001).
 * @throws ScenarioError when `value` is not a duration or is longer than MAX_DURATION_MS (the schema
 *   check runs first, so the loader never sees this).
 */
export function parseDuration(value: string | number): number {
  const ms =
    typeof value === 'number'
      ? Number.isInteger(value) && value >= 0
        ? value
        : undefined
      : parseDurationText(value);
  if (ms !== undefined && ms > MAX_DURATION_MS) throw new ScenarioError(tooLongMessage(value));
  if (ms !== undefined) return ms;
  throw new ScenarioError(
    `${JSON.stringify(value)} is not a duration: write 250ms, 2s, 1.5s, 1m, 2h, or integer milliseconds`,
  );
}
