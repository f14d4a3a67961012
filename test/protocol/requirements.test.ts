/**
 * schemas/requirements.json is generated from docs/protocol.md; suites and coverage reports trust
 * it, so it must never drift from the prose.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import requirementsJson from '../../schemas/requirements.json' with { type: 'json' };
import { parseRequirements, REQUIREMENTS, requirement } from '../../src/protocol/requirements.js';

const markdown = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

describe('requirement ids', () => {
  it('schemas/requirements.json equals parseRequirements(docs/protocol.md)', () => {
    expect(
      requirementsJson,
      'schemas/requirements.json is stale: run `npm run requirements` and commit the result',
    ).toEqual(parseRequirements(markdown));
  });

  it('every id is unique', () => {
    const ids = REQUIREMENTS.map((r) => r.id);
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(dupes).toEqual([]);
  });

  it('every requirement has level MUST, SHOULD or MAY and an id of the form NAME-n', () => {
    for (const r of REQUIREMENTS) {
      expect(['MUST', 'SHOULD', 'MAY'], r.id).toContain(r.level);
      expect(r.id).toMatch(/^[A-Z]+-\d+$/);
    }
  });

  it('every bold id in the document is parsed (none is silently skipped)', () => {
    const mentioned = new Set([...markdown.matchAll(/^- \*\*([A-Z]+-\d+)\*\*/gm)].map((m) => m[1]));
    expect(new Set(REQUIREMENTS.map((r) => r.id))).toEqual(mentioned);
  });

  it('requirement(id) finds a requirement with its level and cap', () => {
    expect(requirement('DEDUP-1')).toMatchObject({ level: 'MUST', cap: 'dedup' });
    expect(requirement('RID-3')?.level).toBe('MAY');
    expect(requirement('NOPE-1')).toBeUndefined();
  });

  it('parseRequirements joins wrapped statements and reads caps', () => {
    const parsed = parseRequirements(
      '## 9. Things\n\n- **X-1** (SHOULD) [cap: dedup] First sentence\n  continues here. Second.\n- **X-2** (MAY) Free.\n',
    );
    expect(parsed).toEqual([
      {
        id: 'X-1',
        level: 'SHOULD',
        section: '9. Things',
        cap: 'dedup',
        summary: 'First sentence continues here.',
      },
      { id: 'X-2', level: 'MAY', section: '9. Things', summary: 'Free.' },
    ]);
  });
});
