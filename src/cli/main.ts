/**
 * The imspec command line. Thin: each command lives in src/cli/commands/, parses its options,
 * and calls the programmatic API. Errors from the catalogue end the process with their exit code
 * (2 for usage and configuration errors) and a one-line message; anything else is a bug.
 */

import { Command, CommanderError } from 'commander';
import { isImspecError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { unwrapParagraphs } from './help.js';
import { VERSION } from './version.js';

// `imspec … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

export async function main(argv: string[]): Promise<number> {
  const program = new Command('imspec')
    .description(
      'Conformance and observability kit for instant-messaging delivery.\n' +
        'Runs R/A/N scenarios against a server, decides whether every message was delivered\n' +
        'exactly once, and exports delivery health to Prometheus.',
    )
    .version(VERSION)
    // Inherited by every subcommand registered below.
    .configureHelp({ commandDescription: (cmd) => unwrapParagraphs(cmd.description()) })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  await registerCommands(program, argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; usage errors with 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isImspecError(err)) {
      process.stderr.write(`imspec: ${err.message} [${err.code}]\n`);
      return err.exitCode;
    }
    process.stderr.write(`imspec: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 3;
  }
}

const code = await main(process.argv);
// Let pending output flush; commands that keep servers running never return here.
process.exitCode = code;
