/**
 * `imspec run --capture DIR`: each case's traffic written as a capture file (`<case>.jsonl`,
 * `<case>-2.jsonl` for a repetition) while the case runs, for `imspec check` to judge later or
 * elsewhere — the converter from the built-in drivers' histories to the capture format.
 */

import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { History } from '../history/events.js';
import { createDirectories, optionWords } from '../output-paths.js';
import type { CaseResult, Reporter } from '../report/types.js';
import { captureHeader, captureLineOf } from './from-history.js';

export interface CaptureWriter {
  /** Starts the capture of one case run (a RunHooks.onHistory). */
  onHistory(history: History, scenario: { id: string; file: string }): void;
  /** Ends each case's file as its result comes (and every file at the end of the run). */
  reporter: Reporter;
  /** Files written so far. */
  readonly files: readonly string[];
}

export function captureWriter(dir: string): CaptureWriter {
  const words = optionWords('--capture', dir);
  createDirectories(words, dir);
  const open = new Map<string, { out: WriteStream; off: () => void }>();
  const counts = new Map<string, number>();
  const files: string[] = [];
  // A file that cannot be written mid-run (disk full, directory removed) must not crash the run:
  // the first error is reported when the run ends, after the verdicts.
  let failed: ConfigError | undefined;
  const end = async (id: string) => {
    const w = open.get(id);
    if (!w) return;
    open.delete(id);
    w.off();
    await new Promise<void>((resolve) => w.out.end(resolve));
  };
  return {
    files,
    onHistory(history, scenario) {
      void end(scenario.id);
      const n = (counts.get(scenario.id) ?? 0) + 1;
      counts.set(scenario.id, n);
      const file = join(dir, n === 1 ? `${scenario.id}.jsonl` : `${scenario.id}-${n}.jsonl`);
      files.push(file);
      const out = createWriteStream(file).on('error', (err: NodeJS.ErrnoException) => {
        failed ??= new ConfigError(`${words}: cannot write ${file} (${err.code ?? err.message})`, {
          cause: err,
        });
      });
      out.write(`${JSON.stringify(captureHeader(`imspec run ${scenario.file} --only ${scenario.id}`))}\n`);
      const off = history.subscribe((e) => {
        const line = captureLineOf(e);
        if (line) out.write(`${JSON.stringify(line)}\n`);
      });
      open.set(scenario.id, { out, off });
    },
    reporter: {
      onCaseResult(result: CaseResult) {
        void end(result.id);
      },
      async onRunEnd() {
        await Promise.all([...open.keys()].map(end));
        if (failed) throw failed;
      },
    },
  };
}
