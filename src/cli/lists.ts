/**
 * Option parsers for repeatable list options, and the options several commands share.
 */

import { Option } from 'commander';
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

/** `--report console|json=PATH|junit=PATH`, repeatable (run, check). */
export function reportOption(): Option {
  return new Option(
    '--report <spec>',
    `reporter: ${REPORTER_NAMES.join(', ')} (json=PATH, junit=PATH, html=PATH; repeatable)`,
  )
    .argParser(collect)
    .default([]);
}
