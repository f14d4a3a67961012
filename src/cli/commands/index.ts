/**
 * Every CLI command, one file each. Add a command by adding its file and one line here.
 *
 * Commands load lazily: `imspec serve` imports only the server, not the runner, the reporters and
 * the dashboards. That matters because the kit itself starts `imspec serve` for every case and
 * restarts it in crash cases; eager imports made each start take over a second.
 */

import type { Command } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRun,
  certify: async () => (await import('./certify.js')).registerCertify,
  serve: async () => (await import('./serve.js')).registerServe,
  validate: async () => (await import('./validate.js')).registerValidate,
  coverage: async () => (await import('./coverage.js')).registerCoverage,
  monitor: async () => (await import('./monitor.js')).registerMonitor,
  'driver-test': async () => (await import('./driver-test.js')).registerDriverTest,
  check: async () => (await import('./check.js')).registerCheck,
  load: async () => (await import('./load.js')).registerLoad,
  merge: async () => (await import('./merge.js')).registerMerge,
  explore: async () => (await import('./explore.js')).registerExplore,
};

/** Registers the command named in argv (or every command, for top-level help). */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const name = argv[2];
  const names = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  for (const n of names) (await COMMANDS[n]!())(program);
}
