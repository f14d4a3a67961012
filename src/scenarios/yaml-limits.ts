/**
 * Bounds on the YAML files imspec reads (scenarios, load profiles, monitor configs, expected
 * failures). A hostile or mistaken file must cost a bounded amount of time and memory and end in
 * one clear error with file:line:col, never in a V8 out-of-memory abort, a "Maximum call stack
 * size exceeded", or binary bytes echoed to the terminal. docs/scenarios.md lists these limits.
 *
 * The checks run in order of cost: size (before reading), text (bytes), nesting (the yaml lexer,
 * which is linear; its parser and composer are not, and the composer recurses), then the
 * composed document with its aliases expanded (values and depth, memoised per anchor).
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, Lexer, CST as YamlCst } from 'yaml';

/** The limits, in one place. */
export const YAML_LIMITS = Object.freeze({
  /**
   * Largest file read. The biggest shipped YAML file is under 20 KB; the yaml parser and the
   * schema checks take about 2 s per MiB of honest steps on this machine, so 256 KiB keeps a
   * refused-or-not answer under a second or so while leaving 10× room.
   */
  maxBytes: 256 * 1024,
  /** Deepest nesting of mappings and lists (a scenario needs about 10). */
  maxDepth: 64,
  /** Most values (scalars, mappings, lists) once aliases are expanded: 2,000 aliases of a 100-value block fit. */
  maxValues: 1_000_000,
});

/** A problem at a 1-based line and column of the file (or the whole file when `at` is absent). */
export interface TextProblem {
  at?: { line: number; col: number };
  message: string;
}

/** A read problem as a file issue (scenario and profile issues share this shape). */
export function problemIssue(
  file: string,
  problem: TextProblem,
): { file: string; line?: number; col?: number; message: string } {
  return { file, ...problem.at, message: problem.message };
}

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

const KiB = (bytes: number) => `${Math.ceil(bytes / 1024).toLocaleString('en-US')} KiB`;
const TOO_BIG = (size: string) =>
  `the file is ${size}; imspec reads YAML files of at most ${KiB(YAML_LIMITS.maxBytes)} (${YAML_LIMITS.maxBytes.toLocaleString('en-US')} bytes) — check that this is the file you meant, or split it`;

/**
 * Reads a YAML file as text, refusing files above the size limit before reading them (a device
 * or FIFO is read only up to the limit) and files that are not UTF-8 text.
 */
export function readYamlFile(path: string): { text: string } | { problem: TextProblem } {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return { problem: { message: 'is a directory, not a YAML file' } };
    if (stats.isFile() && stats.size > YAML_LIMITS.maxBytes)
      return { problem: { message: TOO_BIG(KiB(stats.size)) } };
    const buffer = Buffer.alloc(YAML_LIMITS.maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > YAML_LIMITS.maxBytes)
      return { problem: { message: TOO_BIG(`above ${KiB(YAML_LIMITS.maxBytes)}`) } };
    return decodeText(buffer.subarray(0, length));
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 bytes to text, or where the first byte that is not UTF-8 stands. */
export function decodeText(bytes: Uint8Array): { text: string } | { problem: TextProblem } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = new TextDecoder().decode(bytes.subarray(0, at));
    const hex = bytes[at]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      problem: {
        at: lineCol(before, before.length),
        message: `not UTF-8 text: byte 0x${hex} here starts no valid character (is this a binary file?); imspec reads YAML as UTF-8 text`,
      },
    };
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0 || i + need >= bytes.length) return i;
    for (let k = 1; k <= need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and values above U+10FFFF: what the fatal decoder refuses.
    const b1 = bytes[i + 1]!;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f)) return i;
    if ((b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

// YAML 1.2 allows tab, LF, CR, printable ASCII, NEL and everything from U+00A0 (5.1); anything
// else is a control character that only a binary file or a terminal escape would put there.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

/** The size, text and nesting checks for text already in memory; undefined when it passes. */
export function textProblem(text: string): TextProblem | undefined {
  if (text.length > YAML_LIMITS.maxBytes || Buffer.byteLength(text) > YAML_LIMITS.maxBytes) {
    return { message: TOO_BIG(KiB(Buffer.byteLength(text))) };
  }
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return {
      at: lineCol(text, control.index),
      message: `not text: control character U+${code} here (is this a binary file?); YAML allows tabs, line breaks and printable characters only — write it as an escape in a double-quoted string ("\\u${code.toLowerCase()}")`,
    };
  }
  return nestingProblem(text);
}

// The lexer's own markers, which stand for no source text.
const LEXER_MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

/**
 * Refuses nesting deeper than twice the limit from the lexer's tokens alone, before the parser
 * (slow on deep input: 13 s for 500k levels) and the recursive composer see it. The estimate
 * counts open flow brackets plus, per line, the block indicators (`-`, `?`, `:`) of the
 * more-indented lines above it; it can overcount a level where a mapping starts after `- `,
 * hence the margin. The exact depth is checked on the composed document.
 */
function nestingProblem(text: string): TextProblem | undefined {
  const limit = YAML_LIMITS.maxDepth * 2;
  let offset = 0;
  let flow = 0;
  let lineStart = 0;
  let atLineStart = true;
  let lineIndent = 0;
  const block: number[] = [];
  for (const token of new Lexer().lex(text)) {
    if (token.length === 1 && LEXER_MARKERS.has(token)) continue;
    const type = YamlCst.tokenType(token);
    const at = offset;
    offset += token.length;
    const newline = token.lastIndexOf('\n');
    if (newline >= 0) {
      lineStart = at + newline + 1;
      atLineStart = true;
      continue;
    }
    if (type === 'space' || type === 'comment') continue;
    if (atLineStart && flow === 0) {
      atLineStart = false;
      lineIndent = at - lineStart;
      while (block.length > 0 && block[block.length - 1]! >= lineIndent) block.pop();
    }
    atLineStart = false;
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    ) {
      block.push(lineIndent);
    } else continue;
    if (flow + block.length > limit) return { at: lineCol(text, at), message: TOO_DEEP };
  }
  return undefined;
}

const TOO_DEEP = `nested too deep here: imspec reads YAML nested at most ${YAML_LIMITS.maxDepth} levels of mappings and lists (a scenario needs about 10)`;

/**
 * The composed document's own limits: at most one document, nesting and value count with
 * aliases expanded, no alias inside the node it names. Undefined when it passes.
 */
export function documentProblem(
  docs: readonly Document[],
  locate: (offset: number) => { line: number; col: number },
): TextProblem | undefined {
  if (docs.length > 1) {
    return {
      at: locate(docs[1]!.range?.[0] ?? 0),
      message:
        'a second YAML document starts here (after "---"): a file holds one document — put each in its own file',
    };
  }
  const doc = docs[0];
  if (!doc) return undefined;
  const anchors = new Map<string, unknown>();
  const sizes = new Map<unknown, { values: number; depth: number }>();
  const open = new Set<unknown>();
  let problem: TextProblem | undefined;
  const offsetOf = (node: unknown) => locate((node as { range?: [number] }).range?.[0] ?? 0);
  // Recursion is bounded: the lexer check caps the written depth, an anchor is measured once.
  const measure = (node: unknown, depth: number): { values: number; depth: number } => {
    const none = { values: 0, depth: 0 };
    if (problem || node === null || node === undefined) return none;
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor !== undefined && !isAlias(node)) anchors.set(anchor, node);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return none; // the composer reports an unknown anchor itself
      if (open.has(target)) {
        problem = {
          at: offsetOf(node),
          message: `alias *${node.source} stands inside the value it names, which would be infinite; copy the value instead`,
        };
        return none;
      }
      const known = sizes.get(target) ?? measure(target, depth);
      if (depth + known.depth > YAML_LIMITS.maxDepth) problem ??= { at: offsetOf(node), message: TOO_DEEP };
      return known;
    }
    if (depth > YAML_LIMITS.maxDepth) {
      problem = { at: offsetOf(node), message: TOO_DEEP };
      return none;
    }
    let size = { values: 1, depth: 0 };
    if (isMap(node) || isSeq(node)) {
      open.add(node);
      let values = 1;
      let deepest = 0;
      for (const item of node.items) {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        for (const part of parts) {
          const inner = measure(part, depth + 1);
          values += inner.values;
          deepest = Math.max(deepest, inner.depth);
        }
      }
      open.delete(node);
      size = { values, depth: deepest + 1 };
    } else if (!isScalar(node)) {
      size = { values: 1, depth: 0 };
    }
    sizes.set(node, size);
    return size;
  };
  const total = measure(doc.contents, 1);
  if (problem) return problem;
  if (total.values > YAML_LIMITS.maxValues) {
    return {
      at: offsetOf(doc.contents),
      message: `this document holds ${total.values.toLocaleString('en-US')} values once its aliases are expanded; imspec reads at most ${YAML_LIMITS.maxValues.toLocaleString('en-US')} (an alias that repeats an alias multiplies them)`,
    };
  }
  return undefined;
}
