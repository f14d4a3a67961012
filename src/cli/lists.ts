/**
 * Option parsers for repeatable list options, shared by the commands.
 */

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
