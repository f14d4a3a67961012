/**
 * Parsers of option values several commands share: durations, seeds, counts, ports, URLs. Each
 * throws a UsageError that names the flag, so a bad value ends the command (exit 2) before any work.
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

/**
 * A whole number from `min` to `max`, as a commander argument parser: decimal digits only, so
 * "0x10", "1e3", "1.0" and " 7" are refused (Number() would take them, and a seed given so
 * replays nothing). The message is `${flag} must be ${what}, got "value"`.
 */
function wholeNumber(flag: string, min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag} must be ${what}, got "${value}"`);
    }
    return n;
  };
}

/** A seed: a decimal integer from 0 to 2^32 − 1. */
export function seedParser(flag: string): (value: string) => number {
  return wholeNumber(flag, 0, 2 ** 32 - 1, 'a decimal integer from 0 to 4294967295');
}

/** `--seed <n>` of run, certify, explore and load. */
export const parseSeed = seedParser('--seed');

/** A count of at least 1 (`--repeat`, `--shards`, `--servers`, …), as a commander argument parser. */
export function positiveInt(flag: string): (value: string) => number {
  return wholeNumber(flag, 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
}

/** A count where 0 means something of its own (`--workers 0`: the bots run in this process). */
export function countFromZero(flag: string, zeroMeans: string): (value: string) => number {
  return wholeNumber(flag, 0, Number.MAX_SAFE_INTEGER, `a whole number, 0 or more (0 ${zeroMeans})`);
}

/** `--metrics-port <port>` of run, load and monitor: a TCP port, 0 for any free one. */
export const metricsPortOption = wholeNumber(
  '--metrics-port',
  0,
  65_535,
  'a port from 0 to 65535 (0: any free port)',
);

/** `--pushgateway <url>`: an http(s) URL, checked as the option is read (not after the run). */
export function pushgatewayOption(value: string): string {
  checkPushgatewayUrl(value);
  return value;
}
