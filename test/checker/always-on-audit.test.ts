/** docs/always-on.md stays what src/checker/always-on/audit.ts says, for exactly protocol.md's ids. */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT, auditedIds, renderAudit } from '../../src/checker/always-on/audit.js';
import { ALWAYS_ON_RULES } from '../../src/checker/always-on/index.js';

function normalise(md: string): string {
  return md
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((cell) => (/^\s*:?-+:?\s*$/.test(cell) ? '---' : cell.trim()))
            .join('|')
        : line,
    )
    .join('\n')
    .trim();
}

describe('the always-on audit', () => {
  it('classifies every MUST and SHOULD id of docs/protocol.md, and nothing else', () => {
    expect(Object.keys(AUDIT).sort()).toEqual(auditedIds().sort());
  });

  it('names every always-on rule module under the ids it judges', () => {
    for (const rule of ALWAYS_ON_RULES) {
      for (const id of rule.requirements) {
        const j = AUDIT[id];
        expect(j?.how, id).toBe('always');
        expect(JSON.stringify(j), id).toContain(rule.name);
      }
    }
  });

  it('is what docs/always-on.md shows (npm run always-on regenerates it)', () => {
    const docs = readFileSync(new URL('../../docs/always-on.md', import.meta.url), 'utf8');
    // The formatter pads table cells; compare the cells, not the padding.
    expect(normalise(docs)).toBe(normalise(renderAudit()));
  });
});
