/**
 * A scenario file as YAML: the parsed value plus a map from value paths back to file positions,
 * so schema and semantic errors can say file:line:col of the node they are about.
 */

import {
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
} from 'yaml';
import type { Loc } from './types.js';
import { documentProblem, type TextProblem, textProblem } from './yaml-limits.js';

/** A path into the parsed value: mapping keys and sequence indexes. */
export type Path = readonly (string | number)[];

/** A problem found in one file, before it is given a position. */
export interface PathIssue {
  path: Path;
  message: string;
  /** Point at the key of the last path segment instead of its value (unknown keys). */
  atKey?: boolean;
}

export interface YamlSource {
  file: string;
  /** The document as plain data; undefined when the YAML has syntax errors. */
  data: unknown;
  /** Syntax errors with the parser's own positions. */
  syntaxErrors: { loc: Loc; message: string }[];
  /** Where the node at `path` starts (or its key, with `atKey`); the nearest existing ancestor if the path runs out. */
  locate(path: Path, atKey?: boolean): Loc;
}

export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const at = (offset: number): Loc => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const refuse = (problem: TextProblem): YamlSource => {
    const loc = { file, line: problem.at?.line ?? 1, col: problem.at?.col ?? 1 };
    return { file, data: undefined, syntaxErrors: [{ loc, message: problem.message }], locate: () => loc };
  };
  const early = textProblem(text);
  if (early) return refuse(early);
  // prettyErrors off: we add file:line:col ourselves and want the parser's message alone.
  // merge: `<<: *common` lets a suite share option blocks between steps, as CI configs do.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true, merge: true });
  const docs = [...composer.compose(new Parser(lineCounter.addNewLine).parse(text), true)];
  const limit = documentProblem(docs, (offset) => lineCounter.linePos(offset));
  if (limit) return refuse(limit);
  const doc = docs[0]!;
  const syntaxErrors: YamlSource['syntaxErrors'] = [];
  const seen = new Set<number>();
  for (const error of doc.errors) {
    // One mistake often trips several parser rules at the same offset; the first says it best.
    if (seen.has(error.pos[0])) continue;
    seen.add(error.pos[0]);
    syntaxErrors.push({ loc: at(error.pos[0]), message: error.message });
  }
  let data: unknown;
  if (syntaxErrors.length === 0) {
    // Aliases were measured above (yaml-limits.ts): its own count refuses 2,000 honest ones.
    try {
      data = doc.toJS({ maxAliasCount: -1 }) ?? null;
    } catch (error) {
      // e.g. a merge key (`<<`) naming something that is not a mapping.
      syntaxErrors.push({ loc: at(0), message: (error as Error).message });
    }
  }
  return {
    file,
    data,
    syntaxErrors,
    locate: (path, atKey = false) => at(offsetOf(doc, path, atKey)),
  };
}

function offsetOf(doc: Document, path: Path, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) return offset;
      const keyStart = startOf(pair.key) ?? offset;
      if (last && atKey) return keyStart;
      // An empty value (`timeout:`) has no text of its own: point at its key.
      const value = pair.value;
      const valueStart = startOf(value);
      if (
        valueStart === undefined ||
        (isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1])
      ) {
        return keyStart;
      }
      node = value;
      offset = valueStart;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      const itemStart = startOf(item);
      if (itemStart === undefined) return offset;
      node = item;
      offset = itemStart;
    } else {
      return offset;
    }
  }
  return offset;
}

function startOf(node: unknown): number | undefined {
  return node && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined;
}
