/**
 * The npm scripts' command lines: node's parseArgs, strict, plus `--help`. An unknown or
 * malformed option prints the script's usage and exits 2. Why one place: some scripts threw
 * parseArgs' stack trace at a typo, and those that read process.argv by hand ignored one — a
 * `--bogus` soak started its 35 minutes anyway.
 */

import { parseArgs } from 'node:util';

/** Each option's kind, and its default if it has one. */
type Spec = Record<string, { type: 'string'; default?: string } | { type: 'boolean'; default?: boolean }>;

/** What parseArgs gives for `O`: an option with a default is always set. */
type Values<O extends Spec> = {
  [K in keyof O]: O[K] extends { type: 'boolean' }
    ? O[K] extends { default: boolean }
      ? boolean
      : boolean | undefined
    : O[K] extends { default: string }
      ? string
      : string | undefined;
};

/** The values of `options` on this process's command line; exits (0 for --help, 2 on a bad one). */
export function scriptArgs<const O extends Spec>(name: string, usage: string, options: O): Values<O> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  try {
    // parseArgs' own result type cannot be named here; Values says the same for these specs.
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as unknown as Values<O>;
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\nusage: ${usage}\n`);
    process.exit(2);
  }
}
