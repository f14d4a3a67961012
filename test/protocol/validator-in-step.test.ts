import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frameValidatorSource } from '../../src/protocol/validator-source.js';

describe('the precompiled frame validator', () => {
  it('is what the schema compiles to today (run `npm run generate` when this fails)', () => {
    const committed = readFileSync(
      new URL('../../src/protocol/frame-validator.generated.ts', import.meta.url),
      'utf8',
    );
    expect(
      committed === frameValidatorSource(),
      'src/protocol/frame-validator.generated.ts is stale: run `npm run generate`',
    ).toBe(true);
  });
});
