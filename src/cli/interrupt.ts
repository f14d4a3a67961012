/**
 * Ctrl-C and SIGTERM for commands that run for a while: the first signal asks the command to stop
 * cleanly (stop bots and servers, write the reports so far); a second one exits at once — the
 * 'exit' sweep of src/runner/leftovers.ts still kills every server the kit started and removes
 * its temp files. The exit code is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM),
 * as shells report a process a signal ended.
 */

import { constants } from 'node:os';

export interface Interrupts {
  /** Aborted with the signal's name as reason at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** 128 + the signal's number once a signal came, else undefined. */
  exitCode(): number | undefined;
  /** Removes the handlers (the command finished). */
  dispose(): void;
  /**
   * A `.catch` handler for the command's work: a failure after a signal came is what the
   * interrupt did (a server start given up, logins cut short), so the process exits with the
   * signal's code instead of reporting it; any other failure is rethrown.
   */
  exitIfInterrupted(error: unknown): Promise<never>;
}

export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

export function handleInterrupts(command: string): Interrupts {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first !== undefined) {
      process.stderr.write(`\n${command}: ${signal} again: exiting now\n`);
      process.exit(exitCodeForSignal(first));
    }
    first = signal;
    process.stderr.write(
      `\n${command}: ${signal}: stopping — servers and bots, then the reports so far (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once)\n`,
    );
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const exitCode = () => (first === undefined ? undefined : exitCodeForSignal(first));
  return {
    signal: controller.signal,
    exitCode,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
    exitIfInterrupted: async (error) => {
      const code = exitCode();
      if (code === undefined) throw error;
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(code);
    },
  };
}
