/**
 * The one rule for output paths (`--out`, `--report kind=PATH`, `--minimize-dir`, `--capture`,
 * `--draft-expectations`): a command checks each of them before any work, so a path it cannot
 * write is a usage error (exit 2) at once instead of a lost result after the run; and a write that
 * still fails at the end (disk full, permissions changed) is a ConfigError naming the flag, raised
 * only after the verdict was printed (docs/reports.md "Exit codes").
 */

import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  rmdirSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, messageOf, UsageError } from './errors.js';

/** How the user wrote the option: `--out x.json`, `--report json=x.json`. */
export function optionWords(flag: string, path: string): string {
  return flag.endsWith('=') ? `${flag}${path}` : `${flag} ${path}`;
}

/**
 * Checks that `path` can be written as a file: not a directory, under a directory that exists or
 * can be created, writable. Leaves nothing behind (what it creates to find out, it removes), so a
 * run that stops for another reason has not made directories. Throws a UsageError naming `flag`.
 */
export function checkOutputFile(flag: string, path: string): void {
  const words = optionWords(flag, path);
  const full = resolve(path);
  const stat = statOf(words, full);
  if (stat?.isDirectory() || (stat === undefined && /[\\/]$/.test(path))) {
    throw new UsageError(`${words}: that is a directory; give a file name`);
  }
  if (stat) {
    writable(words, full);
    return;
  }
  const created = probeDirectory(words, dirname(full));
  try {
    // Creating the file is the only sure test (a read-only or kernel file system says no here).
    closeSync(openSync(full, 'wx'));
    unlinkSync(full);
  } catch (err) {
    throw new UsageError(`${words}: cannot create ${full} (${reason(err)})`);
  } finally {
    removeDirectories(created);
  }
}

/** Checks that `path` is a directory, or can be created, and is writable; leaves nothing behind. */
export function checkOutputDir(flag: string, path: string): void {
  removeDirectories(probeDirectory(optionWords(flag, path), resolve(path)));
}

/**
 * Writes `text` to `file` (named by the user as `words`, e.g. `--out reports/cert`), creating its
 * directory. A failure is a ConfigError naming the option, not a stack trace.
 */
export async function writeOutputFile(words: string, file: string, text: string): Promise<void> {
  try {
    createDirectories(words, dirname(resolve(file)));
    await writeFile(file, text);
  } catch (err) {
    if (err instanceof UsageError) throw new ConfigError(err.message, { cause: err });
    throw new ConfigError(`${words}: cannot write ${file} (${reason(err)})`, { cause: err });
  }
}

/** Creates `dir` and any missing parents, each checked as probeDirectory checks them. */
export function createDirectories(words: string, dir: string): void {
  probeDirectory(words, dir);
}

/**
 * Makes sure `dir` exists and is writable, creating what is missing one level at a time; returns
 * the directories it created (deepest last). Not mkdir {recursive: true}: under /proc that never
 * returns (procfs answers ENOENT for a directory that cannot be made, and Node's recursive mkdir
 * retries its parent forever), while a plain mkdir fails at once.
 */
function probeDirectory(words: string, dir: string): string[] {
  const missing: string[] = [];
  let at = dir;
  let stat = statOf(words, at);
  while (!stat) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
    stat = statOf(words, at);
  }
  if (stat && !stat.isDirectory()) throw new UsageError(`${words}: ${at} is not a directory`);
  writable(words, at);
  const created: string[] = [];
  for (const d of missing) {
    try {
      mkdirSync(d);
      created.push(d);
    } catch (err) {
      removeDirectories(created);
      throw new UsageError(`${words}: cannot create the directory ${d} (${reason(err)})`);
    }
  }
  return created;
}

function removeDirectories(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) rmdirSync(d);
}

/** The entry at `path`, undefined when there is none (or a file sits where a directory should). */
function statOf(words: string, path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`${words}: cannot read ${path} (${reason(err)})`);
  }
}

// Root passes W_OK on most paths whatever the mode bits; a read-only file system still says no.
function writable(words: string, path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    throw new UsageError(`${words}: ${path} is not writable (${reason(err)})`);
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? messageOf(err);
}
