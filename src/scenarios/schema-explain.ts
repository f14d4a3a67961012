/**
 * Turns ajv's errors for a YAML document into messages an author can act on: one per mistake, at
 * the offending node, saying what was expected, with "did you mean …?" for unknown keys and enum
 * values. Shared by every schema-checked YAML file (scenarios, load profiles).
 *
 * ajv reports every failing branch of a `oneOf`, which for a step means a dozen complaints about
 * keys the author never meant. So at a failing `oneOf` we pick the branch the value was meant for
 * (by its JSON type, then by its keys), validate the value against that branch alone, and report
 * only those errors; when no branch fits we say what the alternatives are.
 */

import type { Ajv, ErrorObject } from 'ajv';
import { InternalError } from '../errors.js';
import { DURATION_FORMAT, tooLongMessage } from './duration.js';
import { didYouMean } from './hints.js';
import type { Path, PathIssue } from './yaml-source.js';

/** The parts of a JSON Schema node this module reads. */
interface SchemaNode {
  title?: string;
  type?: string | string[];
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, unknown>;
  $ref?: string;
  format?: string;
}

/**
 * A compiled root schema: its ajv instance (compiled with `allErrors` and `verbose`, so errors
 * carry their schema nodes), its `$id` and the schema itself (oneOf branches are local `$ref`s).
 */
export interface SchemaRoot {
  /** Names the schema in internal errors ("scenario", "load profile"). */
  name: string;
  ajv: Ajv;
  id: string;
  schema: unknown;
}

/** Path issues for ajv's `errors` about `data` (validated against `root`). */
export function explainErrors(root: SchemaRoot, errors: readonly ErrorObject[], data: unknown): PathIssue[] {
  return explain(root, errors, data, []);
}

function explain(root: SchemaRoot, errors: readonly ErrorObject[], data: unknown, base: Path): PathIssue[] {
  const located = errors.map((error) => ({ error, rel: pointerToPath(error.instancePath, data) }));
  // Outermost oneOf first: it owns every error at or below its path.
  const oneOfs = located
    .filter((x) => x.error.keyword === 'oneOf')
    .sort((a, b) => a.rel.length - b.rel.length);
  const owned: Path[] = [];
  const issues: PathIssue[] = [];
  for (const { error, rel } of oneOfs) {
    if (owned.some((p) => isPrefix(p, rel))) continue;
    owned.push(rel);
    issues.push(...explainOneOf(root, error, [...base, ...rel]));
  }
  for (const { error, rel } of located) {
    if (error.keyword === 'oneOf' || owned.some((p) => isPrefix(p, rel))) continue;
    const issue = describe(error, [...base, ...rel]);
    if (issue) issues.push(issue);
  }
  return issues;
}

function explainOneOf(root: SchemaRoot, error: ErrorObject, path: Path): PathIssue[] {
  const data: unknown = error.data;
  const branches = (error.schema as SchemaNode[]).map((branch) => {
    if (!branch.$ref?.startsWith('#/')) {
      throw new InternalError(
        `${root.name} schema: every oneOf branch must be a local $ref (at ${error.schemaPath})`,
      );
    }
    return { ref: branch.$ref, schema: resolveRef(root, branch.$ref) };
  });
  // A discriminator (`type: {const: …}` in every branch) whose stated value names no branch is
  // the mistake itself: say so at the key, with the values it takes, rather than blaming the
  // keys of whichever branch fits best.
  const misnamed = isRecord(data) ? unknownDiscriminator(branches, data, path) : undefined;
  if (misnamed) return [misnamed];
  let candidates = branches.filter((b) => acceptsTypeOf(b.schema, data));
  if (candidates.length > 1 && isRecord(data)) {
    // A discriminator (`type: {const: …}`) the value states picks its branch outright.
    const stated = candidates.filter((b) => discriminates(b.schema, data));
    if (stated.length === 1) candidates = stated;
  }
  if (candidates.length > 1 && isRecord(data)) {
    candidates = candidates.filter((b) => (b.schema.required ?? []).every((key) => key in data));
  }
  if (candidates.length === 1) {
    const branch = candidates[0]!;
    const validate = root.ajv.getSchema(root.id + branch.ref);
    if (!validate) throw new InternalError(`${root.name} schema: cannot resolve ${branch.ref}`);
    if (validate(data)) return [];
    return explain(root, validate.errors ?? [], data, path);
  }
  const title = (error.parentSchema as SchemaNode).title ?? branches.map((b) => b.schema.title).join(' or ');
  // A union of single-key mappings (the steps): an unknown key is a typo of one of those keys.
  const keyNamed = branches.every((b) => b.schema.required?.length === 1 && b.schema.type === 'object');
  if (keyNamed && isRecord(data)) {
    const known = branches.map((b) => b.schema.required![0]!);
    const unknown = Object.keys(data).filter((key) => !known.includes(key));
    if (Object.keys(data).length === 1 && unknown.length === 1) {
      return [unknownKey(unknown[0]!, known, path)];
    }
  }
  return [{ path, message: `${where(path)}expected ${title}, got ${describeValue(data)}` }];
}

function describe(error: ErrorObject, path: Path): PathIssue | undefined {
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const params = error.params as Record<string, unknown>;
  // An invalid key of a free-form mapping (users): ajv puts the key in `propertyName`.
  if (error.propertyName !== undefined) {
    const keyPath = [...path, error.propertyName];
    return {
      path: keyPath,
      atKey: true,
      message: `${where(path)}expected ${parent.title ?? 'a valid name'} as key, got ${JSON.stringify(error.propertyName)}`,
    };
  }
  // A duration of the right form but longer than a timer can wait (its form is the pattern's job).
  if ((error.keyword === 'format' || error.keyword === 'maximum') && parent.format === DURATION_FORMAT) {
    return { path, message: `${where(path)}${tooLongMessage(error.data)}` };
  }
  switch (error.keyword) {
    case 'propertyNames':
      return undefined; // summarized by the error about the name itself
    case 'additionalProperties':
      return unknownKey(String(params.additionalProperty), Object.keys(parent.properties ?? {}), path);
    case 'required':
      return { path, message: `${where(path)}missing required key "${String(params.missingProperty)}"` };
    case 'type':
    case 'pattern':
      return {
        path,
        message: `${where(path)}expected ${parent.title ?? typePhrase(parent.type)}, got ${describeValue(error.data)}`,
      };
    case 'enum': {
      const allowed = (error.schema as unknown[]).map(String);
      const got = describeValue(error.data);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return { path, message: `${where(path)}expected ${orList(allowed)}, got ${got}${hint}` };
    }
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const earlier = Math.min(Number(params.i), Number(params.j));
      const item = Array.isArray(error.data) ? describeValue(error.data[later]) : 'an item';
      return {
        path: [...path, later],
        message: `${where([...path, later])}${item} is listed twice (also at ${display([...path, earlier])}); remove one`,
      };
    }
    case 'minItems':
      return {
        path,
        message: `${where(path)}expected ${parent.title ?? 'a list'} with at least ${String(params.limit)} item(s), got none`,
      };
    case 'minProperties':
      return {
        path,
        message: `${where(path)}expected ${parent.title ?? 'a mapping'} with at least ${String(params.limit)} entry, got none`,
      };
    case 'minLength':
      return { path, message: `${where(path)}expected ${parent.title ?? 'a text'}, got an empty text` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'maxLength': {
      const got = describeValue(error.data);
      const message = parent.title ? `expected ${parent.title}, got ${got}` : `${got} ${error.message}`;
      return { path, message: `${where(path)}${message}` };
    }
    default:
      return { path, message: `${where(path)}${error.message ?? 'is not valid'}` };
  }
}

/** `unknown key "x" in client; did you mean "y"?`, or the allowed keys when nothing is close. */
export function unknownKey(key: string, allowed: readonly string[], parent: Path): PathIssue {
  const inWhere = parent.length === 0 ? '' : ` in ${display(parent)}`;
  let hint = didYouMean(key, allowed);
  // ClientOptions and Expectations say `retransmitMs`; the YAML says `retransmit: 1s`.
  const unsuffixed = key.endsWith('Ms') ? key.slice(0, -2) : undefined;
  if (unsuffixed !== undefined && allowed.includes(unsuffixed)) {
    hint = `; did you mean "${unsuffixed}"? (durations drop the "Ms" suffix and take units: 500ms, 2s)`;
  }
  if (hint === '') hint = allowed.length > 0 ? `; expected one of ${orList(allowed)}` : '';
  return { path: [...parent, key], atKey: true, message: `unknown key "${key}"${inWhere}${hint}` };
}

/** `steps[3].send.count: ` — the prefix naming where a problem is; empty at the top level. */
export function where(path: Path): string {
  return path.length === 0 ? '' : `${display(path)}: `;
}

export function display(path: Path): string {
  let out = '';
  for (const segment of path)
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

/** How a value the author wrote reads in a message. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (isRecord(value)) {
    const keys = Object.keys(value);
    return keys.length === 0
      ? 'an empty mapping'
      : `a mapping with ${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}`;
  }
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function typePhrase(type: string | string[] | undefined): string {
  const phrases: Record<string, string> = {
    string: 'a text',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    null: 'nothing',
  };
  const types = type === undefined ? [] : Array.isArray(type) ? type : [type];
  return types.length === 0 ? 'a valid value' : orList(types.map((t) => phrases[t] ?? t));
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function acceptsTypeOf(schema: SchemaNode, value: unknown): boolean {
  const actual = jsonTypeOf(value);
  const fits = (t: string) => t === actual || (t === 'number' && actual === 'integer');
  if (schema.type !== undefined) return (Array.isArray(schema.type) ? schema.type : [schema.type]).some(fits);
  if (schema.enum !== undefined) return schema.enum.some((v) => fits(jsonTypeOf(v)));
  return true;
}

/** True when the branch has a `const` property the value carries with exactly that value. */
/** The issue for a discriminating key whose value matches no branch's `const`, if there is one. */
function unknownDiscriminator(
  branches: readonly { schema: SchemaNode }[],
  data: Record<string, unknown>,
  path: Path,
): PathIssue | undefined {
  for (const key of Object.keys(data)) {
    const values = branches.map((b) => {
      const node = b.schema.properties?.[key];
      return isRecord(node) && 'const' in node ? String(node.const) : undefined;
    });
    if (values.some((v) => v === undefined) || values.includes(String(data[key]))) continue;
    const allowed = values as string[];
    const got = data[key];
    const hint = typeof got === 'string' ? didYouMean(got, allowed) : '';
    return {
      path: [...path, key],
      message: `${where([...path, key])}expected ${orList(allowed)}, got ${describeValue(got)}${hint}`,
    };
  }
  return undefined;
}

function discriminates(schema: SchemaNode, data: Record<string, unknown>): boolean {
  let found = false;
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if (!isRecord(node) || !('const' in node) || !(key in data)) continue;
    if (data[key] !== node.const) return false;
    found = true;
  }
  return found;
}

function resolveRef(root: SchemaRoot, ref: string): SchemaNode {
  let node: unknown = root.schema;
  for (const segment of ref.slice(2).split('/')) {
    node = isRecord(node) ? node[segment.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
  }
  if (!isRecord(node)) throw new InternalError(`${root.name} schema: cannot resolve ${ref}`);
  return node as SchemaNode;
}

/** "/steps/3/send" → ["steps", 3, "send"], numbering only the segments that index a list. */
function pointerToPath(pointer: string, data: unknown): Path {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return path;
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
