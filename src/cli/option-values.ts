/**
 * Parsers of option values several commands share: durations, seeds, counts. Each throws a
 * UsageError that names the flag, so a bad value ends the command (exit 2) before any work.
 */

import { UsageError } from '../errors.js';
import { checkPushgatewayUrl } from '../metrics/pushgateway.js';
import { parseDuration } from '../scenarios/duration.js';

/**
 * Milliseconds for a duration flag: the forms of scenario YAML ("250ms", "20s", "5m", "2h", or
 * integer ms), at most MAX_DURATION_MS (a longer Node timer fires at once). `zeroOk` lets 0 through
 * (a flag where 0 means "no wait").
 */
export function parseDurationOption(flag: string, value: string, zeroOk = false): number {
  if (zeroOk && /^0+(ms|s|m|h)?$/.test(value)) return 0;
  let ms: number;
  try {
    ms = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  if (ms === 0 && !zeroOk) throw new UsageError(`${flag} must be longer than 0, got "${value}"`);
  return ms;
}

/** A seed: a decimal integer from 0 to 2^32 − 1 ("0x10" and "1e3" are refused: they replay nothing). */
export function seedParser(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d{1,10}$/.test(value) || n > 2 ** 32 - 1) {
      throw new UsageError(`${flag} must be a decimal integer from 0 to 4294967295, got "${value}"`);
    }
    return n;
  };
}

/** `--seed <n>` of run, certify and explore. */
export const parseSeed = seedParser('--seed');

/** A count of at least 1 (`--repeat`, `--workers`, …), as a commander argument parser. */
export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** `--pushgateway <url>`: an http(s) URL, checked as the option is read (not after the run). */
export function pushgatewayOption(value: string): string {
  checkPushgatewayUrl(value);
  return value;
}
