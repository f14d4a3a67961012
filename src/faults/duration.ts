/**
 * Durations in fault YAML: an integer is milliseconds, a string carries its unit ("250ms", "1.5s",
 * "1m", "2h"). Window bounds are the exception: there an integer is a step index, so a time bound must
 * be a string with a unit (see bound parsing in resolve.ts).
 */

/**
 * The longest duration imspec accepts anywhere: 2^31 − 1 ms (about 24.8 days), the longest a Node
 * timer can wait. A longer `setTimeout` fires at once with a TimeoutOverflowWarning, so a longer
 * value would silently mean "now".
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** Why `value` cannot be used as a duration though its form is right. */
export function tooLongMessage(value: unknown): string {
  const shown = typeof value === 'string' ? value : `${String(value)} ms`;
  return `${shown} is longer than imspec can wait: durations go up to ${MAX_DURATION_MS}ms (about 24.8 days, the longest a Node timer waits)`;
}

// The one duration form of the kit (scenario, fault and load YAML, every command's duration
// option; the schemas' patterns say the same): whole milliseconds, or seconds, minutes and hours
// with an optional fraction.
const DURATION = /^([0-9]+)(ms)$|^([0-9]+(?:\.[0-9]+)?)(s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds for a duration string with a unit, or undefined when it is not one. */
export function parseDurationText(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  if (m[1] !== undefined) return Number(m[1]);
  return Math.round(Number(m[3]) * UNIT_MS[m[4] as keyof typeof UNIT_MS]);
}

/** Milliseconds for an integer (already ms) or a duration string; undefined when neither. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string') return parseDurationText(value);
  return undefined;
}

/** The shortest exact rendering: "1500ms" stays "1500ms", 2000 becomes "2s", 60000 "1m", 7200000 "2h". */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
