/**
 * The checks every fault-rule field goes through, each failing with a message that says what is
 * wrong, where (file:line:col when the caller can locate paths) and what is allowed instead.
 */

import { ScenarioError, type SourcePosition } from '../errors.js';
import { editDistance } from '../hints.js';

/** A path inside the `faults:` list, e.g. `[2, 'action', 'by']`. */
export type FaultPath = readonly (string | number)[];

export interface ResolveOptions {
  /**
   * Maps a path inside the `faults:` list to its position in the YAML file, so errors read
   * `file:line:col: …` and each rule carries its `loc`. @default no positions
   */
  locate?: (path: FaultPath) => SourcePosition | undefined;
}

export function oneOrMany<T extends string>(
  options: ResolveOptions,
  raw: unknown,
  path: FaultPath,
  ok: (v: unknown) => boolean,
  allowed: readonly string[],
): T[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) fail(options, path, `list must not be empty; allowed: ${allowed.join(', ')}`);
  list.forEach((v, j) => {
    if (!ok(v)) {
      const where = Array.isArray(raw) ? [...path, j] : path;
      fail(
        options,
        where,
        `${JSON.stringify(v)} is not allowed here${hint(String(v), allowed)}; allowed: ${allowed.join(', ')}`,
      );
    }
  });
  return list as T[];
}

export function optionalInt(
  options: ResolveOptions,
  v: unknown,
  path: FaultPath,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const name = String(path[path.length - 1]);
    fail(
      options,
      path,
      `${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`,
    );
  }
  return v;
}

export function refuseUnknown(
  options: ResolveOptions,
  obj: Record<string, unknown>,
  known: readonly string[],
  path: FaultPath,
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      fail(
        options,
        [...path, key],
        `unknown key "${key}"${hint(key, known)}; allowed here: ${known.join(', ') || '(none)'}`,
      );
    }
  }
}

export function fail(options: ResolveOptions, path: FaultPath, message: string): never {
  const where = `faults${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
  throw new ScenarioError(`${where}: ${message}`, locateNearest(options, path));
}

/** The position of `path`, or of its nearest ancestor that has one (a missing key has none). */
function locateNearest(options: ResolveOptions, path: FaultPath): SourcePosition | undefined {
  if (!options.locate) return undefined;
  for (let n = path.length; n >= 0; n--) {
    const pos = options.locate(path.slice(0, n));
    if (pos) return pos;
  }
  return undefined;
}

/** ` (did you mean "x"?)` when a known word is within edit distance 2. */
export function hint(word: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && best !== word ? ` (did you mean "${best}"?)` : '';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
