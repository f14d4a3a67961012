/**
 * Locating the package's own files at run time. Compiled code lives in dist/src/…, sources (under
 * vitest) in src/…, so a fixed relative path would be wrong in one of the two: walk up instead.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding imspec's package.json. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    // tsc copies package.json into dist/ (src/cli/version.ts imports it): the real root is the
    // one that also holds bin/.
    if (
      existsSync(candidate) &&
      existsSync(join(dir, 'bin', 'imspec.js')) &&
      JSON.parse(readFileSync(candidate, 'utf8')).name === 'imspec'
    ) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the imspec package root');
    dir = parent;
  }
}

/** The CLI launcher, bin/imspec.js (runs the compiled dist/). */
export function cliPath(): string {
  return join(packageRoot(), 'bin', 'imspec.js');
}

/**
 * The default suites (`suites/core`, `suites`), found where a user runs the kit: in the current
 * directory when it has them (a checkout, or a project keeping its own copy), else the kit's own
 * (`npx imspec run` anywhere). Only for defaults: a path the user names is read as named.
 */
export function defaultSuitePaths(paths: readonly string[]): string[] {
  return paths.map((p) => {
    if (isAbsolute(p) || existsSync(p)) return p;
    const shipped = join(packageRoot(), p);
    return existsSync(shipped) ? shipped : p;
  });
}
