/**
 * Every YAML example in docs/scenarios.md loads: whole scenarios as they are, step snippets
 * inside a scenario that declares the users they name. Docs that drift from the loader fail here.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenarios/index.js';

const doc = readFileSync('docs/scenarios.md', 'utf8');
const blocks = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

const WRAPPER = [
  'id: docs-example',
  'title: a step snippet from docs/scenarios.md',
  'covers: [FRAME-2, FRAME-5, PING-1, AUTH-3, DEDUP-1]',
  'requires: [dedup]',
  'users:',
  '  alice: phone',
  '  bob: [phone, tablet]',
  'steps:',
].join('\n');

describe('docs/scenarios.md examples', () => {
  it('has whole-scenario and step examples', () => {
    expect(blocks.filter((b) => b.startsWith('id:')).length).toBeGreaterThanOrEqual(1);
    expect(blocks.filter((b) => b.startsWith('- ')).length).toBeGreaterThanOrEqual(9);
  });

  it.each(blocks.map((block, i) => [i, block] as const))('example %i loads', (_, block) => {
    if (block.startsWith('id:')) {
      expect(loadScenarioText(block, 'docs/scenarios.md').id).toMatch(/^[a-z0-9-]+$/);
    } else if (block.startsWith('- ')) {
      const indented = block.replace(/^/gm, '  ');
      expect(loadScenarioText(`${WRAPPER}\n${indented}`, 'docs/scenarios.md').steps.length).toBeGreaterThan(
        0,
      );
    } else {
      // Top-level fragments (the editor modeline, users:) inside an otherwise minimal scenario.
      const users = block.startsWith('users:') ? '' : 'users: { alice: phone }\n';
      const text = `${block}\nid: docs-example\ntitle: t\ncovers: [RID-1]\n${users}steps: [connect: alice]\n`;
      expect(loadScenarioText(text, 'docs/scenarios.md').id).toBe('docs-example');
    }
  });
});
