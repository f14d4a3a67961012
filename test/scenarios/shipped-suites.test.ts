/**
 * Every suite shipped under suites/ loads: schema, requirement ids, bot refs and unique ids per
 * suite. A broken suite file fails here with its file:line:col, before any runner touches it.
 */

import { describe, expect, it } from 'vitest';
import { checkSuites, formatIssue } from '../../src/scenarios/index.js';

describe('shipped suites', () => {
  it('every scenario under suites/ is valid', () => {
    const checks = checkSuites(['suites']);
    expect(checks.flatMap((c) => c.issues.map(formatIssue))).toEqual([]);
    expect(checks.length).toBeGreaterThan(0);
    // every scenario belongs to a named suite folder, never to "suites" itself
    expect(checks.filter((c) => c.suite === 'suites').map((c) => c.file)).toEqual([]);
  });
});
