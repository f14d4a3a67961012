/**
 * Re-proves the kill matrix (docs/kill-matrix.md, from `npm run kill-matrix`) on every test run:
 * for each deliberate server fault, a case the matrix says catches it must fail against it; every
 * case must appear as a catch or carry a reason why no fault can make it fail. The full matrix
 * (every case × every fault) is the script's job; here each claim is checked once, cheaply.
 */
import { describe, expect, it } from 'vitest';
import { runSuites } from '../../src/runner/run.js';
import { SERVER_FAULT_NAMES } from '../../src/server/index.js';
import matrix from '../../suites/core/kill-matrix.json' with { type: 'json' };

const catches = matrix.catches as Record<string, string[]>;
const unkillable = matrix.unkillable as Record<string, string>;
const suite = new URL('../../suites/core', import.meta.url).pathname;

const durations = (matrix as { durations?: Record<string, Record<string, number>> }).durations ?? {};
const took = (fault: string, id: string) => durations[fault]?.[id] ?? Number.POSITIVE_INFINITY;

/**
 * The proofs to run: every case against the fault it failed quickest, then every fault not yet
 * proved against its quickest case. Together they re-prove both halves of the matrix — each case
 * can fail, each fault is caught — in the least time.
 */
function proofs(): Map<string, Set<string>> {
  const faultsOf = new Map<string, string[]>();
  for (const [fault, cases] of Object.entries(catches)) {
    for (const id of cases) faultsOf.set(id, [...(faultsOf.get(id) ?? []), fault]);
  }
  const byFault = new Map<string, Set<string>>();
  const add = (fault: string, id: string) => byFault.set(fault, (byFault.get(fault) ?? new Set()).add(id));
  for (const [id, faults] of faultsOf) add([...faults].sort((a, b) => took(a, id) - took(b, id))[0]!, id);
  for (const [fault, cases] of Object.entries(catches)) {
    if (!byFault.has(fault) && cases.length > 0)
      add(fault, [...cases].sort((a, b) => took(fault, a) - took(fault, b))[0]!);
  }
  return byFault;
}

describe('the kill matrix', () => {
  it('lists every fault of the reference server, each caught by a case or listed as a core miss with why', () => {
    expect(Object.keys(catches).sort()).toEqual([...SERVER_FAULT_NAMES].sort());
    // Faults no core case reaches are listed with the reason (the workload shape the cases lack):
    // they are what `imspec explore` must find. The list must be exactly the uncaught faults.
    const misses = (matrix as { coreMisses?: Record<string, string> }).coreMisses ?? {};
    const uncaught = Object.entries(catches).filter(([, cases]) => cases.length === 0);
    expect(uncaught.map(([f]) => f).sort()).toEqual(Object.keys(misses).sort());
  });

  it('has every core case catch a fault, or say why none can make it fail', async () => {
    const { loadSuite } = await import('../../src/scenarios/index.js');
    const ids = loadSuite(suite).map((s) => s.id);
    const caught = new Set(Object.values(catches).flat());
    const idle = ids.filter((id) => !caught.has(id) && !unkillable[id]);
    expect(idle).toEqual([]);
    for (const id of Object.keys(unkillable)) expect(ids).toContain(id);
  });

  describe.concurrent('each listed catch fails against its fault', () => {
    for (const [fault, cases] of proofs()) {
      it(`--fault ${fault} fails ${[...cases].join(', ')}`, { timeout: 120_000 }, async () => {
        const run = await runSuites({
          paths: [suite],
          only: [...cases],
          serverFaults: [fault],
          seed: matrix.seed,
        });
        const verdicts = Object.fromEntries(run.cases.map((c) => [c.id, c.verdict]));
        for (const id of cases)
          expect(['FAIL', 'WARN'], `${id} under --fault ${fault}`).toContain(verdicts[id]);
      });
    }
  });
});
