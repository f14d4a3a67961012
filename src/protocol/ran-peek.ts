/**
 * The type of a RAN/1 frame, told from its bytes without JSON.parse or the validator — for the
 * fault proxy, which must count every frame by type (replay's "alice's 3rd msg:A") but needs a
 * frame's members only when a rule acts on it. Decoding (UTF-8, JSON.parse, the schema) was
 * ~430 ns of the ~460 ns the proxy's rule path spent on a ping frame.
 *
 * Exact or silent: `peekRanType` answers only for text in a narrow form whose decoding it can
 * predict completely, and returns `undefined` for anything else (the caller then decodes). The
 * form: one flat object, no whitespace, printable-ASCII strings without escapes, non-negative
 * integers of at most 15 digits (exact doubles), true/false/null; members of a type whose schema
 * members are all flat. For such text JSON.parse yields exactly the members written, so checking
 * them against the schema's rules for the type (read from schemas/frame.schema.json itself, so
 * the two cannot drift) decides what the validator would. Whatever the schema says that this
 * file does not model — a keyword it does not know — makes the type (or all types) unpeekable.
 * hello:R is never peeked: the proxy learns the connection's actor from its decoded members.
 */

import frameSchema from '../../schemas/frame.schema.json' with { type: 'json' };
import { FRAME_TYPES, type FrameType } from './frames.js';

type Member =
  | { kind: 'string'; min: number; max: number }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'const'; value: unknown }
  | { kind: 'boolean' };

interface Shape {
  type: FrameType;
  /** The type's members; a `null` rule is one this file cannot check (the frame is then decoded). */
  members: readonly { name: string; rule: Member | null }[];
  /** Bit i set: members[i] is required. */
  required: number;
}

type Schema = Record<string, unknown>;

/** Frames longer than this are decoded: JSON.parse outruns a byte loop on long bodies. */
const MAX_PEEK_BYTES = 1024;
const MAX_MEMBERS = 16;
/** Integers of up to 15 digits are below 2^53, so JSON.parse reads them exactly. */
const MAX_DIGITS = 15;

const ROOT_KEYS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'required',
  'properties',
  'discriminator',
  'oneOf',
  '$defs',
]);
const OBJECT_KEYS = new Set([
  'type',
  'additionalProperties',
  'required',
  'properties',
  'description',
  'title',
]);

/** The shapes by typeKey of their type, so a frame's type is found with one lookup. */
const SHAPES: ReadonlyMap<number, Shape> = new Map(
  shapes(frameSchema as Schema).map((shape) => [typeKey(shape.type), shape]),
);

/** Length, first and last character: tells every RAN/1 type apart (a match is checked in full). */
function typeKey(type: string): number {
  return type.length * 65536 + type.charCodeAt(0) * 256 + type.charCodeAt(type.length - 1);
}

function hasOnly(schema: Schema, keys: readonly string[]): boolean {
  return Object.keys(schema).every((k) => keys.includes(k));
}

/** The rule of one member, or null when it is anything but one flat check this file knows. */
function member(raw: Schema, defs: Record<string, Schema>): Member | null {
  let s = raw;
  if (typeof s.$ref === 'string') {
    if (!hasOnly(s, ['$ref']) || !s.$ref.startsWith('#/$defs/')) return null;
    s = defs[s.$ref.slice('#/$defs/'.length)] ?? {};
  }
  if ('const' in s) return hasOnly(s, ['const']) ? { kind: 'const', value: s.const } : null;
  if (Array.isArray(s.enum)) {
    return hasOnly(s, ['enum']) && s.enum.every((v) => typeof v === 'string')
      ? { kind: 'enum', values: s.enum as string[] }
      : null;
  }
  const num = (v: unknown, dflt: number) => (typeof v === 'number' ? v : dflt);
  if (s.type === 'string' && hasOnly(s, ['type', 'minLength', 'maxLength', 'description'])) {
    return { kind: 'string', min: num(s.minLength, 0), max: num(s.maxLength, Number.POSITIVE_INFINITY) };
  }
  if (s.type === 'integer' && hasOnly(s, ['type', 'minimum', 'maximum', 'description'])) {
    return {
      kind: 'integer',
      min: num(s.minimum, Number.NEGATIVE_INFINITY),
      max: num(s.maximum, Number.POSITIVE_INFINITY),
    };
  }
  if (s.type === 'boolean' && hasOnly(s, ['type', 'description'])) return { kind: 'boolean' };
  return null;
}

/** The peekable frame types and their members, from the schema; none if the root says more than it models. */
export function shapes(schema: Schema): Shape[] {
  const out: Shape[] = [];
  const rootType = (schema.properties as Record<string, Schema> | undefined)?.type;
  if (
    !hasOnly(schema, [...ROOT_KEYS]) ||
    schema.type !== 'object' ||
    rootType?.type !== 'string' ||
    !hasOnly(rootType, ['type', 'maxLength'])
  ) {
    return out;
  }
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  // The discriminator picks the branch named by `type`; a type without one is invalid.
  const branches = new Set(((schema.oneOf ?? []) as Schema[]).map((r) => r.$ref));
  for (const type of FRAME_TYPES) {
    const def = defs[type];
    if (type === 'hello:R' || !def || !branches.has(`#/$defs/${type}`) || !hasOnly(def, [...OBJECT_KEYS]))
      continue;
    if (def.type !== 'object' || def.additionalProperties !== false) continue;
    if (type.length > (typeof rootType.maxLength === 'number' ? rootType.maxLength : 0)) continue;
    const props = (def.properties ?? {}) as Record<string, Schema>;
    if (!(props.type && 'const' in props.type && props.type.const === type)) continue;
    const required = (def.required ?? []) as string[];
    // A required member the type does not allow: no frame of the type is valid; decode says so.
    if (!required.every((name) => Object.hasOwn(props, name))) continue;
    const members = Object.entries(props).map(([name, s]) => ({ name, rule: member(s, defs) }));
    if (members.length > 30) continue; // members are told apart by the bits of one int
    let mask = 0;
    members.forEach((m, i) => {
      if (required.includes(m.name)) mask |= 1 << i;
    });
    out.push({ type, members, required: mask });
  }
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

// What a member's value is (plain numbers: a TS enum compiles to property loads).
const STRING = 0;
const INTEGER = 1;
const TRUE_VALUE = 2;
const FALSE_VALUE = 3;
const NULL_VALUE = 4;

// One frame's members as offsets, reused from frame to frame (the proxy is single-threaded).
const keyStart = new Int32Array(MAX_MEMBERS);
const keyEnd = new Int32Array(MAX_MEMBERS);
const valueKind = new Uint8Array(MAX_MEMBERS);
const valueStart = new Int32Array(MAX_MEMBERS);
const valueEnd = new Int32Array(MAX_MEMBERS);

/** End (exclusive, after the closing quote) of a plain string starting at the quote at `i`; -1 if not plain. */
function plainString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j]!;
    // Most bytes are printable past the quote: one range check, then the rare cases.
    if (c > QUOTE && c <= 0x7e && c !== BACKSLASH) continue;
    if (c === QUOTE) return j + 1;
    if (c !== 0x20 && c !== 0x21) return -1;
  }
  return -1;
}

function literal(b: Uint8Array, i: number, word: readonly number[]): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}

function sameText(b: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The type `ranCodec.decode` gives this text frame, with no `invalid` and no `login` — or
 * `undefined` when only decoding can tell (or the frame is invalid, or a hello:R).
 */
export function peekRanType(b: Uint8Array): FrameType | undefined {
  const n = b.length;
  if (n < 2 || n > MAX_PEEK_BYTES || b[0] !== OPEN || b[n - 1] !== CLOSE) return undefined;
  let count = 0;
  let typeAt = -1;
  let i = 1;
  if (b[i] === CLOSE) return undefined;
  for (;;) {
    if (count === MAX_MEMBERS || b[i] !== QUOTE) return undefined;
    const kEnd = plainString(b, i);
    if (kEnd < 0 || b[kEnd] !== COLON) return undefined;
    keyStart[count] = i + 1;
    keyEnd[count] = kEnd - 1;
    let v = kEnd + 1;
    const c = b[v];
    valueStart[count] = v;
    if (c === QUOTE) {
      v = plainString(b, v);
      if (v < 0) return undefined;
      valueKind[count] = STRING;
    } else if (c !== undefined && c >= 0x30 && c <= 0x39) {
      let digits = 1;
      v++;
      if (c !== 0x30) {
        while (b[v]! >= 0x30 && b[v]! <= 0x39) {
          v++;
          digits++;
        }
      }
      if (digits > MAX_DIGITS) return undefined;
      valueKind[count] = INTEGER;
    } else if (c === TRUE[0] && literal(b, v, TRUE)) {
      v += 4;
      valueKind[count] = TRUE_VALUE;
    } else if (c === FALSE[0] && literal(b, v, FALSE)) {
      v += 5;
      valueKind[count] = FALSE_VALUE;
    } else if (c === NULL[0] && literal(b, v, NULL)) {
      v += 4;
      valueKind[count] = NULL_VALUE;
    } else {
      return undefined;
    }
    valueEnd[count] = v;
    if (sameText(b, keyStart[count]!, keyEnd[count]!, 'type')) {
      if (typeAt >= 0 || valueKind[count] !== STRING) return undefined;
      typeAt = count;
    }
    count++;
    if (v === n - 1) break;
    if (b[v] !== COMMA) return undefined;
    i = v + 1;
  }
  if (typeAt < 0) return undefined;
  const typeStart = valueStart[typeAt]! + 1;
  const typeEnd = valueEnd[typeAt]! - 1;
  if (typeEnd <= typeStart) return undefined;
  const shape = SHAPES.get((typeEnd - typeStart) * 65536 + b[typeStart]! * 256 + b[typeEnd - 1]!);
  if (shape === undefined || !sameText(b, typeStart, typeEnd, shape.type)) return undefined;
  const members = shape.members;
  let seen = 0;
  // Frames usually list members in the schema's order: each search starts after the last match.
  let at = members.length - 1;
  for (let m = 0; m < count; m++) {
    let tries = 0;
    do {
      at = at + 1 === members.length ? 0 : at + 1;
    } while (++tries <= members.length && !sameText(b, keyStart[m]!, keyEnd[m]!, members[at]!.name));
    // A member the type does not have: additionalProperties false refuses it.
    if (tries > members.length) return undefined;
    // A repeated member: JSON.parse keeps the last one; decoding tells.
    if ((seen & (1 << at)) !== 0) return undefined;
    seen |= 1 << at;
    const rule = members[at]!.rule;
    if (m !== typeAt && (rule === null || !holds(rule, b, m))) return undefined;
  }
  return (seen & shape.required) === shape.required ? shape.type : undefined;
}

function holds(rule: Member, b: Uint8Array, m: number): boolean {
  const kind = valueKind[m]!;
  const start = valueStart[m]!;
  const end = valueEnd[m]!;
  switch (rule.kind) {
    case 'string': {
      // Printable ASCII: one character per byte, as the schema counts length.
      const length = end - start - 2;
      return kind === STRING && length >= rule.min && length <= rule.max;
    }
    case 'integer': {
      if (kind !== INTEGER) return false;
      let value = 0;
      for (let i = start; i < end; i++) value = value * 10 + (b[i]! - 0x30);
      return value >= rule.min && value <= rule.max;
    }
    case 'enum':
      return kind === STRING && rule.values.some((s) => sameText(b, start + 1, end - 1, s));
    case 'const':
      return (
        (kind === TRUE_VALUE && rule.value === true) ||
        (kind === FALSE_VALUE && rule.value === false) ||
        (kind === NULL_VALUE && rule.value === null) ||
        (kind === STRING && typeof rule.value === 'string' && sameText(b, start + 1, end - 1, rule.value))
      );
    case 'boolean':
      return kind === TRUE_VALUE || kind === FALSE_VALUE;
  }
}
