/**
 * Every case of suites/faults can fail: it passes on the reference server, and fails on the
 * deliberately broken server named for it in suites/faults/server-faults.json (STYLE: "Every
 * conformance case is proved able to fail"). Real servers, real proxies.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FaultRule } from '../../src/faults/types.js';
import { runSuites } from '../../src/runner/run.js';
import { checkSuites } from '../../src/scenarios/index.js';
import { SERVER_FAULT_NAMES } from '../../src/server/index.js';

const SUITE = 'suites/faults';
const table = JSON.parse(readFileSync(`${SUITE}/server-faults.json`, 'utf8')) as Record<
  string,
  { fault: string; why: string } | string
>;
const rows = Object.entries(table).flatMap(([id, row]) => (typeof row === 'string' ? [] : [{ id, ...row }]));

describe('suites/faults', () => {
  it('has at least 12 cases, each with fault rules or a process fault, and a breaking server fault for each', () => {
    const ids = checkSuites([SUITE]).map((c) => c.scenario!.id);
    expect(ids.length).toBeGreaterThanOrEqual(12);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const row of rows) expect(SERVER_FAULT_NAMES as readonly string[]).toContain(row.fault);
  });

  it("docs/faults.md shows each case's faults as shipped", () => {
    const doc = readFileSync('docs/faults.md', 'utf8');
    const shown = [...doc.matchAll(/```yaml\n# (suites\/faults\/[a-z0-9-]+\.yaml)\n([\s\S]*?)```/g)];
    const scenarios = checkSuites([SUITE]).map((c) => c.scenario!);
    const withRules = scenarios.filter((s) => s.faults.length > 0);
    expect(shown.map((m) => m[1]).sort()).toEqual(withRules.map((s) => s.file).sort());
    const withoutLoc = (rules: readonly FaultRule[]) => rules.map(({ loc: _loc, ...rule }) => rule);
    for (const [, file, text] of shown) {
      const rules = resolveFaultRules((parse(text!) as { faults: unknown[] }).faults);
      expect(withoutLoc(rules), file).toEqual(withoutLoc(scenarios.find((s) => s.file === file)!.faults));
    }
  });

  it('every case passes on the reference server', { timeout: 120_000 }, async () => {
    const run = await runSuites({ paths: [SUITE], seed: 20261122, reports: [], minimize: false });
    const verdicts = Object.fromEntries(
      run.cases.map((c) => [c.id, `${c.verdict} ${c.reason ?? ''}`.trim()]),
    );
    expect(verdicts).toEqual(Object.fromEntries(rows.map((r) => [r.id, 'PASS'])));
    // The proxies really acted: every case but the process fault has injected fault events.
    const withoutFaults = run.cases.filter((c) => (c.faults ?? []).length === 0).map((c) => c.id);
    expect(withoutFaults).toEqual(['kill-after-accept']);
  });

  it('every case fails on the server fault named for it', { timeout: 120_000 }, async () => {
    // A broken server mostly makes a case wait for a settlement that never comes: idle time, so
    // four cases run side by side, each on its own broken server.
    const verdicts: Record<string, string> = {};
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const run = await runSuites({
          paths: [SUITE],
          only: [row.id],
          serverFaults: [row.fault],
          seed: 20261122,
          reports: [],
          minimize: false,
        });
        const c = run.cases[0]!;
        verdicts[c.id] = c.verdict === 'FAIL' ? 'FAIL' : `${c.verdict} ${c.reason}`;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(verdicts).toEqual(Object.fromEntries(rows.map((r) => [r.id, 'FAIL'])));
  });
});
