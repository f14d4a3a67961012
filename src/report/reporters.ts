/**
 * Reporters chosen by name from `--report` specs (as vitest chooses its reporters): `console`
 * (the default), `json=PATH` and `junit=PATH`. File reporters write once, at the end of the run.
 */

import { UsageError } from '../errors.js';
import { editDistance } from '../hints.js';
import { checkOutputFile, optionWords, writeOutputFile } from '../output-paths.js';
import { ConsoleReporter, type ConsoleReporterOptions, type OutputStream } from './console.js';
import { HtmlReporter, type HtmlReporterOptions } from './html/reporter.js';
import { renderJunit } from './junit.js';
import type { Reporter, RunResult } from './types.js';

/** Pure: the JSON report (schemas/report.schema.json). */
export function renderJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

/**
 * Writes `render(run)` to `path` when the run ends, creating the directory; a failure names the
 * option (`words`) that chose the file.
 */
export class FileReporter implements Reporter {
  constructor(
    readonly path: string,
    private readonly render: (run: RunResult) => string,
    private readonly words = path,
  ) {}

  async onRunEnd(result: RunResult): Promise<void> {
    await writeOutputFile(this.words, this.path, this.render(result));
  }
}

export interface ReporterOptions extends ConsoleReporterOptions {
  /** The command line of the run, for reports that show it (html). */
  command?: string;
  /** Which command the reports describe (html). @default 'run' */
  kind?: HtmlReporterOptions['kind'];
}

interface ReporterKind {
  /** Whether the spec takes `=PATH`. */
  path: boolean;
  create(path: string, stream: OutputStream, options: ReporterOptions): Reporter;
  help: string;
}

const KINDS: Record<string, ReporterKind> = {
  console: {
    path: false,
    create: (_path, stream, options) => new ConsoleReporter(stream, options),
    help: 'console (default): progress and results on the terminal',
  },
  json: {
    path: true,
    create: (path) => new FileReporter(path, renderJson, optionWords('--report json=', path)),
    help: 'json=PATH: the run as JSON (schemas/report.schema.json)',
  },
  junit: {
    path: true,
    create: (path) => new FileReporter(path, renderJunit, optionWords('--report junit=', path)),
    help: 'junit=PATH: JUnit XML for CI',
  },
  html: {
    path: true,
    create: (path, _stream, options) =>
      new HtmlReporter(path, {
        ...(options.command === undefined ? {} : { command: options.command }),
        ...(options.kind === undefined ? {} : { kind: options.kind }),
      }),
    help: 'html=PATH: one self-contained page with a sequence diagram of every case (docs/reports.md)',
  },
};

/** The names `--report` accepts, for help texts. */
export const REPORTER_NAMES: readonly string[] = Object.keys(KINDS);

/**
 * The specs a command runs with: the console summary stays beside files written with
 * `--report json=…` (a CI log still shows what failed) unless the specs name it; `quiet` (`-q`)
 * means no console summary at all, even a named one — only the files are written.
 */
export function withConsole(specs: readonly string[], quiet = false): string[] {
  if (quiet) return specs.filter((spec) => spec.trim() !== 'console');
  const named = specs.some((spec) => spec.trim() === 'console');
  return named ? [...specs] : ['console', ...specs];
}

/**
 * The reporters of a command with `--report` and `-q/--quiet` (run, check): withConsole's specs,
 * and none at all when quiet leaves no file to write (createReporters would default to console).
 */
export function commandReporters(
  specs: readonly string[],
  quiet: boolean | undefined,
  stream: OutputStream = process.stdout,
  options: ReporterOptions = {},
): Reporter[] {
  const list = withConsole(specs, quiet === true);
  return list.length === 0 ? [] : createReporters(list, stream, options);
}

/**
 * Parses `--report` specs (`console`, `json=PATH`, `junit=PATH`, `html=PATH`) into reporters. No specs means
 * `console`. Unknown names, missing or unexpected paths, the same file named twice and a file
 * that cannot be written (src/output-paths.ts) are UsageErrors that say what is accepted.
 * @param stream where the console reporter writes. @default process.stdout
 */
export function createReporters(
  specs: readonly string[],
  stream: OutputStream = process.stdout,
  options: ReporterOptions = {},
): Reporter[] {
  const list = specs.length === 0 ? ['console'] : specs;
  const reporters: Reporter[] = [];
  const paths = new Set<string>();
  let consoles = 0;
  for (const spec of list) {
    const eq = spec.indexOf('=');
    const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
    const path = eq < 0 ? '' : spec.slice(eq + 1).trim();
    const kind = Object.hasOwn(KINDS, name) ? KINDS[name] : undefined;
    if (!kind) {
      const near = REPORTER_NAMES.find((n) => editDistance(n, name.toLowerCase()) <= 2);
      throw new UsageError(
        `unknown reporter "${name}" in --report ${spec}${near ? ` (did you mean "${near}"?)` : ''}; ` +
          `use one of: ${Object.values(KINDS)
            .map((k) => k.help)
            .join('; ')}`,
      );
    }
    if (kind.path && path === '') {
      throw new UsageError(`reporter "${name}" needs a file: --report ${name}=PATH`);
    }
    if (!kind.path && eq >= 0) {
      throw new UsageError(`reporter "${name}" takes no file (got --report ${spec}); use --report ${name}`);
    }
    if (kind.path) {
      if (paths.has(path)) throw new UsageError(`two reporters write to ${path}; give each its own file`);
      paths.add(path);
      // Before any work: a file that cannot be written must not cost the run.
      checkOutputFile(`--report ${name}=`, path);
    } else if (++consoles > 1) {
      throw new UsageError(`--report ${name} is given twice`);
    }
    reporters.push(kind.create(path, stream, options));
  }
  return reporters;
}

/**
 * One reporter that forwards every hook to each of `reporters` in order. onRunEnd waits for all of
 * them (files are written in parallel) and rethrows the first failure after every one has run.
 */
export function combineReporters(reporters: readonly Reporter[]): Required<Reporter> {
  return {
    onRunStart: (info) => {
      for (const r of reporters) r.onRunStart?.(info);
    },
    onCaseStart: (info) => {
      for (const r of reporters) r.onCaseStart?.(info);
    },
    onCaseHistory: (run) => {
      for (const r of reporters) r.onCaseHistory?.(run);
    },
    onCaseResult: (result) => {
      for (const r of reporters) r.onCaseResult?.(result);
    },
    onRunEnd: async (result) => {
      const settled = await Promise.allSettled(reporters.map(async (r) => r.onRunEnd?.(result)));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
