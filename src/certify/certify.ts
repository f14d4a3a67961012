/**
 * `imspec certify`, as a function: run the chosen suites against a server the kit starts itself,
 * then write the certification document (render.ts) with the exact command, the server's version
 * and configuration, every verdict with its reason and the readings — and, when asked, an
 * expected-failures file drafted from the run (draft.ts). The CLI is a thin layer over `certify`;
 * docs/certify.md is the guide.
 */

import { exec } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { History } from '../history/events.js';
import { optionWords, writeOutputFile } from '../output-paths.js';
import { type Exemption, loadExpectedFailures } from '../report/expect-failures.js';
import { combineReporters } from '../report/reporters.js';
import type { Reporter, RunResult } from '../report/types.js';
import { defaultSuitePaths } from '../runner/paths.js';
import { runSuites } from '../runner/run.js';
import { certifyCommand } from './command.js';
import { type Draft, draftExpectations, renderDraft } from './draft.js';
import { type ProtocolEvidence, protocolEvidence } from './evidence.js';
import { CERTIFY_SUITES, type CertifyOptions, resolveCertifyOptions, slugOf } from './options.js';
import { loadReadings, type ServerReadings } from './readings.js';
import { renderCertification } from './render.js';

export interface CertifyHooks {
  /** Reporters of the run (the CLI's `--report` specs: console, json, junit, html). */
  reporters?: readonly Reporter[];
  /** Each case's history, as it starts (metrics subscribe here). */
  onHistory?: (history: History, scenario: { id: string; suite: string }) => void;
}

export interface CertifyResult {
  run: RunResult;
  /** The document's path and text. */
  file: string;
  document: string;
  /** The drafted expected failures, when `draftExpectations` was given. */
  draft?: { file: string; draft: Draft };
}

/** How long `--version-cmd` may take. */
const VERSION_TIMEOUT_MS = 10_000;

export async function certify(
  input: Partial<CertifyOptions>,
  hooks: CertifyHooks = {},
): Promise<CertifyResult> {
  const options = resolveCertifyOptions(input);
  const slug = slugOf(options.name);
  // Everything that can be wrong with the inputs is found before the server starts.
  const readings: ServerReadings = options.readings ? await loadReadings(options.readings, slug) : {};
  const current: Exemption[] = options.expectFailures
    ? await loadExpectedFailures(options.expectFailures)
    : [];
  const version = options.versionCmd ? await firstLine(options.versionCmd) : undefined;

  // The history of a case is kept only until its result: the document needs a few counts of it.
  const open = new Map<string, History>();
  const evidence = new Map<string, ProtocolEvidence>();
  const collect: Reporter = {
    onCaseResult: (c) => {
      const key = `${c.suite}/${c.id}`;
      const history = open.get(key);
      if (history) evidence.set(key, protocolEvidence(history.events));
      open.delete(key);
    },
  };
  // A --report file that cannot be written at the end must not cost the document: its error
  // comes after the document and the draft are written.
  let lateReport: unknown;
  const reports = combineReporters(hooks.reporters ?? []);
  const deferred: Reporter = {
    ...reports,
    onRunEnd: async (result) => {
      await Promise.resolve(reports.onRunEnd(result)).catch((err: unknown) => {
        lateReport = err;
      });
    },
  };
  const run = await runSuites(
    {
      // The shipped suites, when certifying from a directory without them (`npx imspec certify`).
      paths:
        options.suites.join('\n') === CERTIFY_SUITES.join('\n')
          ? defaultSuitePaths(options.suites)
          : options.suites,
      driver: options.driver,
      target: options.target,
      targetCmd: options.targetCmd,
      only: options.only,
      seed: options.seed,
      startTimeoutMs: options.startTimeoutMs,
      ...(options.expectFailures !== undefined ? { expectFailures: options.expectFailures } : {}),
      ...(options.provisionCmd !== undefined ? { provisionCmd: options.provisionCmd } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.hmacSecret !== undefined ? { hmacSecret: options.hmacSecret } : {}),
    },
    {
      reporters: [deferred, collect],
      onHistory: (history, scenario) => {
        open.set(`${scenario.suite}/${scenario.id}`, history);
        hooks.onHistory?.(history, scenario);
      },
    },
  );

  const document = renderCertification({
    name: options.name,
    ...(version !== undefined ? { version } : {}),
    driver: options.driver,
    suites: options.suites,
    ...(options.expectFailures !== undefined ? { expectFailures: options.expectFailures } : {}),
    ...(options.readings !== undefined ? { readingsFile: options.readings } : {}),
    run,
    command: certifyCommand(options),
    configs: await Promise.all(options.configFiles.map(readConfig)),
    ...(options.logFile ? { logCounts: await countLog(options.logFile, options.logCounts) } : {}),
    readings,
    evidence,
    display: options.display,
  });
  const file = join(options.outDir, `${slug}.md`);
  await writeOutputFile(optionWords('--out', options.outDir), file, document);

  const result: CertifyResult = { run, file, document };
  if (options.draftExpectations) {
    const draft = draftExpectations(run, current);
    const words = optionWords('--draft-expectations', options.draftExpectations);
    await writeOutputFile(words, options.draftExpectations, renderDraft(draft));
    result.draft = { file: options.draftExpectations, draft };
  }
  if (lateReport instanceof ConfigError) {
    const written = [file, ...(result.draft ? [result.draft.file] : [])].join(' and ');
    throw new ConfigError(`${lateReport.message} (${written} written)`, { cause: lateReport });
  }
  if (lateReport !== undefined) throw lateReport;
  return result;
}

/** The first line `command` prints; what went wrong instead, when it fails (never fatal). */
function firstLine(command: string): Promise<string> {
  return new Promise((resolve) => {
    exec(command, { timeout: VERSION_TIMEOUT_MS }, (error, stdout) => {
      const line = stdout
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim();
      resolve(line ?? `version unknown: ${error ? error.message.split('\n')[0] : 'no output'}`);
    });
  });
}

async function readConfig(file: string): Promise<{ file: string; text: string }> {
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch (err) {
    return { file, text: `(not readable after the run: ${(err as NodeJS.ErrnoException).code ?? err})` };
  }
}

async function countLog(
  file: string,
  patterns: Readonly<Record<string, string>>,
): Promise<Record<string, number>> {
  let lines: string[];
  try {
    lines = (await readFile(file, 'utf8')).split('\n');
  } catch {
    lines = [];
  }
  const out: Record<string, number> = {};
  for (const [label, pattern] of Object.entries(patterns)) {
    const re = new RegExp(pattern);
    out[label] = lines.filter((l) => re.test(l)).length;
  }
  return out;
}
