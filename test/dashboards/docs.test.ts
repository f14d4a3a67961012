import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../src/dashboards/alert-rules.js';
import { METRIC_LIST } from '../../src/metrics/definitions.js';

const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');

describe('docs/observability.md', () => {
  it('explains every metric of the definition table', () => {
    // Whitespace-insensitive: the markdown formatter pads table cells.
    for (const d of METRIC_LIST)
      expect(doc, d.name).toMatch(new RegExp(`\\|\\s*\`${d.name}\`\\s*\\|\\s*${d.type}\\s*\\|`));
  });

  it('has a section for every alert the rules file can raise (the rules link to it)', () => {
    const alerts = alertRuleGroups()
      .groups.flatMap((g) => g.rules as { alert?: string }[])
      .map((r) => r.alert)
      .filter((a): a is string => a !== undefined)
      .map((a) => a.replace(/(Fast|Slow)$/, ''));
    for (const alert of new Set(alerts)) expect(doc).toContain(`### ${alert}\n`);
  });
});
