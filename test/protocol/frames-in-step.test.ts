/**
 * The TypeScript frame interfaces (src/protocol/frames.ts) and the JSON Schema
 * (schemas/frame.schema.json) describe the same closed frame set (FRAME-1). The fixtures are typed
 * `Required<FrameOf<T>>`, so adding a member to an interface without the schema (or the reverse)
 * fails here.
 */

import { describe, expect, it } from 'vitest';
import frameSchema from '../../schemas/frame.schema.json' with { type: 'json' };
import { CAPS, FRAME_TYPES, WIRE_ERROR_CODES } from '../../src/protocol/frames.js';
import { checkFrame } from '../../src/protocol/validate.js';
import { FULL_FRAMES, LIMITS, STORED } from './fixtures.js';

interface ObjectSchema {
  properties: Record<string, { const?: unknown }>;
  required?: string[];
}
const defs = frameSchema.$defs as unknown as Record<string, ObjectSchema & { enum?: unknown[] }>;

function def(name: string): ObjectSchema {
  const d = defs[name];
  if (!d) throw new Error(`schemas/frame.schema.json has no $defs entry "${name}"`);
  return d;
}

describe('frame types and schema are in step (FRAME-1)', () => {
  it.each(FRAME_TYPES)('%s: the full fixture has exactly the schema properties and validates', (type) => {
    const fixture = FULL_FRAMES[type];
    expect(Object.keys(fixture).sort()).toEqual(Object.keys(def(type).properties).sort());
    const checked = checkFrame(fixture);
    expect(checked.ok ? 'valid' : checked.message).toBe('valid');
  });

  it('the schema discriminator consts are exactly FRAME_TYPES', () => {
    const refs = frameSchema.oneOf.map((branch) => branch.$ref.replace('#/$defs/', ''));
    expect(refs).toEqual([...FRAME_TYPES]);
    for (const type of FRAME_TYPES) expect(def(type).properties['type']?.const).toBe(type);
  });

  it('CAPS equals the schema cap enum', () => {
    expect(defs['cap']?.enum).toEqual([...CAPS]);
  });

  it('WIRE_ERROR_CODES equals the error:A code enum', () => {
    expect((def('error:A').properties['code'] as { enum?: unknown[] }).enum).toEqual([...WIRE_ERROR_CODES]);
  });

  it('Limits and StoredMessage fixtures have exactly the schema properties', () => {
    expect(Object.keys(LIMITS).sort()).toEqual(Object.keys(def('limits').properties).sort());
    expect(Object.keys(STORED).sort()).toEqual(Object.keys(def('storedMessage').properties).sort());
  });
});
