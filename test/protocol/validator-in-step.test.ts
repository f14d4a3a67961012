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

describe('the validator source', () => {
  it("counts a string's code points only where its length cannot settle a bound", async () => {
    const { skipNeedlessScans } = await import('../../src/protocol/validator-source.js');
    expect(skipNeedlessScans('if(func1(data1) > 64){a}else {if(func1(data1) < 1){b}}')).toBe(
      'if((data1.length > 64 && func1(data1) > 64)){a}else {if((data1.length < 2 * 1 && func1(data1) < 1)){b}}',
    );
    // Every bound in the generated validator is guarded.
    expect(frameValidatorSource()).not.toMatch(/(?<!&& )func1\(\w+\) [<>]/);
  });
});
