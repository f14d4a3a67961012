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

describe('the root validator', () => {
  it('hands its own context to the branch of the frame type: no context object per frame', async () => {
    const { passContextThrough } = await import('../../src/protocol/validator-source.js');
    const source = frameValidatorSource();
    const root = /export const validate = (validate\d+);/.exec(source)![1]!;
    const body = source.slice(source.indexOf(`function ${root}(`), source.indexOf(`}${root}.evaluated = `));
    expect(body.startsWith(`function ${root}(data, context){`)).toBe(true);
    expect(body).not.toContain(
      '(data, {instancePath,parentData,parentDataProperty,rootData,dynamicAnchors})',
    );
    // Its signature, and the call of each of the 13 frame types' branches.
    expect(body.match(/\(data, context\)/g)?.length).toBe(14);
    // Code not in ajv's shape is left alone.
    expect(passContextThrough('function f(){}')).toBe('function f(){}');
  });

  it('reports the same errors, with the paths of the context it was given', async () => {
    const { validate } = await import('../../src/protocol/frame-validator.generated.js');
    const v = validate as unknown as ((data: unknown, ctx?: object) => boolean) & { errors: unknown[] };
    const bad = { type: 'msg:N', smid: 's', cmid: 'c', from: 'a', to: 'b', body: '', seq: 0, ts: 0 };
    expect(v(bad)).toBe(false);
    expect(v.errors).toMatchObject([{ instancePath: '/seq', keyword: 'minimum' }]);
    expect(v(bad, { instancePath: '/frames/3' })).toBe(false);
    expect(v.errors).toMatchObject([{ instancePath: '/frames/3/seq', keyword: 'minimum' }]);
    expect(v({ ...bad, seq: 1 }, { instancePath: '/x' })).toBe(true);
  });
});
