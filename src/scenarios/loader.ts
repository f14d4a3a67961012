/**
 * Loading scenarios: files and suites in, frozen resolved `Scenario`s out. The `check*`
 * functions never throw for a bad scenario — they return every issue of every file (what
 * `imspec validate` prints); the `load*` functions throw one ScenarioError holding them all.
 */

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ScenarioError } from '../errors.js';
import { faultIssues } from './faults-check.js';
import type { RawScenario } from './raw-types.js';
import { resolveScenario } from './resolve.js';
import { schemaIssues } from './schema-check.js';
import { semanticIssues } from './semantics.js';
import type { Loc, Scenario } from './types.js';
import { problemIssue, readYamlFile } from './yaml-limits.js';
import { parseYaml } from './yaml-source.js';

/** One problem in one scenario file. `line`/`col` are 1-based; absent when the file could not be read. */
export interface ScenarioIssue {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

/** The outcome of checking one file: `scenario` is set exactly when `issues` is empty. */
export interface ScenarioCheck {
  file: string;
  suite: string;
  scenario?: Scenario;
  issues: ScenarioIssue[];
  /** Where the file's `id` value stands, when it has one (duplicate-id errors point there). */
  idLoc?: Loc;
  /** The id the file declares, when it declares a string id (valid or not). */
  id?: string;
}

const SCENARIO_FILE = /\.ya?ml$/;

/** Checks one scenario given as text. `file` names it in positions; `suite` defaults from the path. */
export function checkScenarioText(
  text: string,
  file: string,
  suite: string = suiteNameOf(file),
): ScenarioCheck {
  const source = parseYaml(text, file);
  if (source.syntaxErrors.length > 0) {
    return { file, suite, issues: source.syntaxErrors.map(({ loc, message }) => ({ ...loc, message })) };
  }
  const data = source.data;
  // A load profile given where a scenario belongs: one line that names the right command, not
  // a line per key the scenario schema lacks.
  if (looksLikeLoadProfile(data)) {
    return {
      file,
      suite,
      issues: [
        {
          ...source.locate([]),
          message: 'this is a load profile (population, executor), not a scenario: run it with imspec load',
        },
      ],
    };
  }
  const pathIssues = schemaIssues(data);
  // One report per node: a value the schema already refused is not also a semantic problem.
  const taken = new Set(pathIssues.map((i) => JSON.stringify([i.path, i.atKey ?? false])));
  for (const issue of semanticIssues(data)) {
    if (!taken.has(JSON.stringify([issue.path, issue.atKey ?? false]))) pathIssues.push(issue);
  }
  const issues = pathIssues
    .map((issue): ScenarioIssue => ({ ...source.locate(issue.path, issue.atKey), message: issue.message }))
    .concat(faultIssues(data, (path) => source.locate(path)))
    .sort(byPosition);
  const check: ScenarioCheck = { file, suite, issues: dedupe(issues) };
  const id = (data as { id?: unknown } | null)?.id;
  if (typeof id === 'string') {
    check.id = id;
    check.idLoc = source.locate(['id']);
  }
  if (issues.length === 0) {
    check.scenario = resolveScenario(data as RawScenario, {
      file,
      suite,
      locate: (path) => source.locate(path),
    });
  }
  return check;
}

/** A mapping with a load profile's required keys and none of a scenario's. */
function looksLikeLoadProfile(data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const keys = new Set(Object.keys(data));
  return keys.has('population') && keys.has('executor') && !keys.has('steps') && !keys.has('id');
}

/** Checks one file. A file that cannot be read is one issue without a position. */
export function checkScenarioFile(path: string, suite: string = suiteNameOf(path)): ScenarioCheck {
  let read: ReturnType<typeof readYamlFile>;
  try {
    read = readYamlFile(path);
  } catch (error) {
    return {
      file: path,
      suite,
      issues: [{ file: path, message: `cannot read the file: ${(error as Error).message}` }],
    };
  }
  if ('problem' in read) return { file: path, suite, issues: [problemIssue(path, read.problem)] };
  return checkScenarioText(read.text, path, suite);
}

/**
 * Checks files and directories (each directory: every *.yaml / *.yml under it, sorted) and, per
 * suite, that ids are unique. A file given twice is checked once.
 */
export function checkSuites(paths: readonly string[]): ScenarioCheck[] {
  const checks: ScenarioCheck[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    let files: string[];
    try {
      files = scenarioFiles(path);
    } catch (error) {
      checks.push({
        file: path,
        suite: suiteNameOf(path),
        issues: [{ file: path, message: (error as Error).message }],
      });
      continue;
    }
    for (const file of files) {
      const absolute = resolve(file);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      checks.push(checkScenarioFile(file, suiteNameOf(file)));
    }
  }
  markDuplicateIds(checks);
  return checks;
}

/** Loads one scenario given as text. @throws ScenarioError with every issue of the text. */
export function loadScenarioText(text: string, file: string, suite?: string): Scenario {
  return scenarioOf(checkScenarioText(text, file, suite));
}

/** Loads one scenario file. @throws ScenarioError with every issue of the file. */
export function loadScenarioFile(path: string, suite?: string): Scenario {
  return scenarioOf(checkScenarioFile(path, suite));
}

/** Loads a suite: a directory (every *.yaml / *.yml under it, sorted) or a single file. */
export function loadSuite(pathOrDir: string): Scenario[] {
  return loadSuites([pathOrDir]);
}

/** Loads several files or directories, in the order given. @throws ScenarioError with every issue of every file. */
export function loadSuites(paths: readonly string[]): Scenario[] {
  const checks = checkSuites(paths);
  const issues = checks.flatMap((c) => c.issues);
  if (issues.length > 0) throw scenarioError(issues);
  return checks.map((c) => c.scenario!);
}

/** The scenario files a path stands for: itself, or every *.yaml / *.yml below a directory, sorted. */
export function scenarioFiles(pathOrDir: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(pathOrDir);
  } catch (error) {
    throw new ScenarioError(`cannot read ${pathOrDir}: ${(error as Error).message}; check the path`);
  }
  if (!stats.isDirectory()) return [pathOrDir];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SCENARIO_FILE.test(entry.name)) files.push(full);
    }
  };
  walk(pathOrDir);
  if (files.length === 0) throw new ScenarioError(`no scenario files (*.yaml, *.yml) under ${pathOrDir}`);
  // Plain code-unit order: the same on every machine and locale.
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The suite a file or directory belongs to: the folder right under `suites/` (suites/core/x.yaml
 * → "core"); outside a suites/ folder, the name of the directory itself (or the file's folder).
 */
export function suiteNameOf(path: string): string {
  const absolute = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch {
    // A path that does not exist (text given directly) is named like a file.
  }
  const dir = isDir ? absolute : dirname(absolute);
  const parts = dir.split(sep);
  const at = parts.lastIndexOf('suites');
  if (at >= 0 && at + 1 < parts.length) return parts[at + 1]!;
  return basename(dir);
}

/** `file:line:col: message`, or `file: message` for issues without a position. */
export function formatIssue(issue: ScenarioIssue): string {
  return issue.line === undefined
    ? `${issue.file}: ${issue.message}`
    : `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** One ScenarioError for many issues: one line each, the first one's position in `position`. */
export function scenarioError(issues: readonly ScenarioIssue[]): ScenarioError {
  const [first, ...rest] = issues;
  if (!first) return new ScenarioError('no issues (this is a bug in imspec)');
  const tail = rest.map((issue) => `\n${formatIssue(issue)}`).join('');
  if (first.line === undefined) return new ScenarioError(`${formatIssue(first)}${tail}`);
  return new ScenarioError(`${first.message}${tail}`, {
    file: first.file,
    line: first.line,
    col: first.col!,
  });
}

function scenarioOf(check: ScenarioCheck): Scenario {
  if (check.issues.length > 0) throw scenarioError(check.issues);
  return check.scenario!;
}

function markDuplicateIds(checks: ScenarioCheck[]): void {
  const firstById = new Map<string, ScenarioCheck>();
  for (const check of checks) {
    if (check.id === undefined) continue;
    const key = `${check.suite}\u0000${check.id}`;
    const first = firstById.get(key);
    if (!first) {
      firstById.set(key, check);
      continue;
    }
    const at = check.idLoc ?? { file: check.file, line: 1, col: 1 };
    const firstAt = first.idLoc ? `${first.file}:${first.idLoc.line}:${first.idLoc.col}` : first.file;
    check.issues.push({
      ...at,
      message: `duplicate id "${check.id}" in suite "${check.suite}": ${firstAt} already uses it; ids must be unique within a suite`,
    });
    check.issues.sort(byPosition);
    delete check.scenario;
  }
}

function byPosition(a: ScenarioIssue, b: ScenarioIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = formatIssue(issue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
