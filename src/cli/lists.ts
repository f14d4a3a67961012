/**
 * Option parsers for repeatable list options, and the options several commands share.
 */

import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { REPORTER_NAMES } from '../report/reporters.js';

/** `--x a --x b` → ['a', 'b']. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--x a,b --x c` → ['a', 'b', 'c'] (blanks dropped). */
export const collectList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/**
 * collectList for a selection (`--only`): a value with no id in it (`--only ''`, `--only ,`) is
 * a usage error, since dropping it would select everything — the opposite of what was asked.
 */
export function selectionList(flag: string): (value: string, previous?: string[]) => string[] {
  return (value, previous = []) => {
    const ids = collectList(value);
    if (ids.length === 0)
      throw new UsageError(`${flag} ${JSON.stringify(value)} names no id: give one or more, comma-separated`);
    return [...previous, ...ids];
  };
}

/** `--report console|json=PATH|junit=PATH`, repeatable (run, check). */
export function reportOption(): Option {
  return new Option(
    '--report <spec>',
    `reporter: ${REPORTER_NAMES.join(', ')} (json=PATH, junit=PATH, html=PATH; repeatable)`,
  )
    .argParser(collect)
    .default([]);
}
