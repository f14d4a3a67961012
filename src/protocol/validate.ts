/**
 * Validators for RAN/1 frames, on the hot path of both the server and the kit (every frame in
 * both directions). The schema is precompiled into frame-validator.generated.ts (ajv standalone
 * code, `npm run generate`): compiling it at start-up cost half a second per process.
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';
import { validate as generated } from './frame-validator.generated.js';
import type { Frame } from './frames.js';

const validateFrameFn = generated as unknown as ValidateFunction<Frame>;

/**
 * The context of a top-level call, one for all of them. Called without one, ajv's code builds two
 * objects per frame as defaults (the context, and `dynamicAnchors`, which this schema never
 * writes into: it has no $dynamicAnchor; frozen, so a schema that grew one fails loudly rather
 * than sharing anchors between frames). Every frame in both directions passes through here.
 */
const TOP = Object.freeze({ instancePath: '', dynamicAnchors: Object.freeze({}) }) as DataValidationCxt;

export type FrameCheck = { ok: true; frame: Frame } | { ok: false; message: string };

/** Checks an already-parsed value against schemas/frame.schema.json. */
export function checkFrame(value: unknown): FrameCheck {
  if (validateFrameFn(value, TOP)) return { ok: true, frame: value };
  return { ok: false, message: describeErrors(value, validateFrameFn.errors ?? []) };
}

/** True when `value` is a valid RAN/1 frame. */
export function isValidFrame(value: unknown): value is Frame {
  return validateFrameFn(value, TOP);
}

function describeErrors(value: unknown, errors: readonly ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'frame is not valid';
  const type =
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? (value as { type: string }).type
      : undefined;
  const where = first.instancePath === '' ? '' : ` at ${first.instancePath}`;
  const prefix = type ? `${type}${where}` : `frame${where}`;
  switch (first.keyword) {
    case 'discriminator':
      return type === undefined
        ? 'frame has no string member "type"'
        : `unknown frame type ${JSON.stringify(type).slice(0, 80)}`;
    case 'required':
      return `${prefix}: missing member "${(first.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties':
      return `${prefix}: unknown member "${String((first.params as { additionalProperty: string }).additionalProperty).slice(0, 64)}"`;
    case 'type':
      return `${prefix}: must be ${(first.params as { type: string }).type}`;
    case 'enum':
      return `${prefix}: must be one of ${((first.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${prefix}: must be ${JSON.stringify((first.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return `${prefix}: ${first.message ?? 'is not valid'}`;
  }
}
