import { describe, expect, it } from 'vitest';
import { JSON_SHAPE_LIMITS, jsonShapeProblem } from '../../src/protocol/json-shape.js';

const object = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
const list = (n: number) => `[${Array(n).fill(1).join(',')}]`;
const nest = (n: number) => `${'['.repeat(n)}${'x'.repeat(400)}${']'.repeat(n)}`;

describe('jsonShapeProblem: shapes no RAN/1 frame can have, found before JSON.parse', () => {
  it('refuses an object of more members than any frame has, and accepts the limit', () => {
    expect(jsonShapeProblem(Buffer.from(object(JSON_SHAPE_LIMITS.maxMembers)))).toBeUndefined();
    expect(jsonShapeProblem(Buffer.from(object(JSON_SHAPE_LIMITS.maxMembers + 1)))).toMatch(
      /object of more than 64 members/,
    );
  });

  it('refuses a list longer than sync:A allows, and nesting deeper than 16', () => {
    expect(jsonShapeProblem(list(JSON_SHAPE_LIMITS.maxItems))).toBeUndefined();
    expect(jsonShapeProblem(list(JSON_SHAPE_LIMITS.maxItems + 1))).toMatch(/list of more than 10000 items/);
    expect(jsonShapeProblem(nest(JSON_SHAPE_LIMITS.maxDepth))).toBeUndefined();
    expect(jsonShapeProblem(nest(JSON_SHAPE_LIMITS.maxDepth + 1))).toMatch(/nests deeper than 16/);
  });

  it('does not count structure inside strings, escaped quotes included', () => {
    const body = JSON.stringify(`\\"${'{"a":1,'.repeat(200)}[[[[[[[[[[[[[[[[[[[[`);
    expect(jsonShapeProblem(`{"type":"msg:R","rid":"r","cmid":"c","to":"b","body":${body}}`)).toBeUndefined();
  });

  it('leaves short texts to JSON.parse (nothing within 320 bytes is costly)', () => {
    expect(jsonShapeProblem('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]')).toBeUndefined();
  });
});
