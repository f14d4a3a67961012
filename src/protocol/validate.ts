/**
 * Compiled validators for RAN/1 frames. The schema is compiled once at module load; validation is
 * on the hot path of both the server and the kit (every frame in both directions).
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import frameSchema from '../../schemas/frame.schema.json' with { type: 'json' };
import type { Frame } from './frames.js';

const ajv = new Ajv2020({
  // `discriminator` makes ajv report errors only for the branch the `type` selects.
  discriminator: true,
  allErrors: false,
  strict: true,
  // `discriminator` is an ajv/OpenAPI keyword; the rest is plain 2020-12.
  strictTuples: false,
});

const validateFrameFn: ValidateFunction<Frame> = ajv.compile<Frame>(frameSchema);

export type FrameCheck = { ok: true; frame: Frame } | { ok: false; message: string };

/** Checks an already-parsed value against schemas/frame.schema.json. */
export function checkFrame(value: unknown): FrameCheck {
  if (validateFrameFn(value)) return { ok: true, frame: value };
  return { ok: false, message: describeErrors(value, validateFrameFn.errors ?? []) };
}

/** True when `value` is a valid RAN/1 frame. */
export function isValidFrame(value: unknown): value is Frame {
  return validateFrameFn(value);
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
