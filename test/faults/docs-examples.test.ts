import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveFaultRules } from '../../src/faults/resolve.js';

const doc = readFileSync(new URL('../../docs/faults.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** Every rule list in a YAML block: a `faults:` key, or a top-level list of rules. */
function ruleLists(text: string): unknown[][] {
  const value = parse(text) as unknown;
  if (Array.isArray(value)) return [value];
  const faults = (value as { faults?: unknown[] } | null)?.faults;
  return faults ? [faults] : [];
}

describe('docs/faults.md examples', () => {
  it('has YAML examples with fault rules', () => {
    expect(blocks.flatMap(ruleLists).length).toBeGreaterThanOrEqual(15);
  });

  it.each(blocks.map((b, i) => [i, b]))('block %i resolves', (_i, text) => {
    for (const list of ruleLists(text)) expect(() => resolveFaultRules(list)).not.toThrow();
  });
});
