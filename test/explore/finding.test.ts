/**
 * What explore writes for a finding, with the case runner played by a script: which schedule
 * fails is the script's to say, so a chance failure during shrinking is certain here, where on a
 * real server it is a matter of timing (the runs themselves are explore-targets.test.ts's and
 * explore-power.test.ts's). The shrunk schedule is written when its replays fail again; when none
 * does, the case as found is written instead, with its own replays' count.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXPLORE_DEFAULTS } from '../../src/explore/config.js';
import { type RunCase, shrinkFinding } from '../../src/explore/finding.js';
import type { GeneratedCase } from '../../src/explore/generate.js';
import type { Operation } from '../../src/explore/operations.js';
import { renderCase } from '../../src/explore/render.js';
import type { CaseResult } from '../../src/report/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FOUND: GeneratedCase = {
  users: { u1: ['d1'], u2: ['d1'] },
  operations: [
    { op: 'connect', bot: 'u1/d1', state: 'keep' },
    { op: 'connect', bot: 'u2/d1', state: 'keep' },
    { op: 'send', from: 'u1/d1', to: 'u2', count: 6, size: 100, text: 'ascii', rate: 0 },
    { op: 'wait', ms: 400 },
    { op: 'send', from: 'u2/d1', to: 'u1', count: 3, size: 40, text: 'ascii', rate: 0 },
  ] as Operation[],
};

function caseResult(verdict: 'PASS' | 'FAIL'): CaseResult {
  return {
    id: 'c',
    title: 't',
    suite: 'explore',
    file: 'c.yaml',
    severity: 'MUST',
    covers: [],
    verdict,
    durationMs: 1,
    seed: 1,
    findings:
      verdict === 'FAIL'
        ? [{ kind: 'x', requirement: 'DEDUP-1', level: 'MUST', expected: 'e', actual: 'a', evidence: [] }]
        : [],
    wireLog: [],
    replay: 'imspec run c.yaml',
  } as unknown as CaseResult;
}

/**
 * A runner whose verdict is `fails(operations, how many times they ran before)`, on the operations
 * the rendered case kept (what would run).
 */
function scripted(fails: (ops: Operation[], before: number) => boolean): { run: RunCase; runs: string[] } {
  // The case as found ran once already: that run is the finding.
  const seen = new Map<string, number>([[JSON.stringify(FOUND.operations), 1]]);
  const runs: string[] = [];
  const run: RunCase = async (id, generated, comment) => {
    const rendered = renderCase(generated, EXPLORE_DEFAULTS, { id, title: 't', comment });
    if (rendered.messages === 0) return undefined;
    const key = JSON.stringify(rendered.operations);
    const before = seen.get(key) ?? 0;
    seen.set(key, before + 1);
    runs.push(key === JSON.stringify(FOUND.operations) ? 'as found' : `${rendered.operations.length} ops`);
    return { result: caseResult(fails(rendered.operations, before) ? 'FAIL' : 'PASS'), rendered };
  };
  return { run, runs };
}

async function find(run: RunCase) {
  const outDir = mkdtempSync(join(tmpdir(), 'imspec-finding-'));
  dirs.push(outDir);
  const rendered = renderCase(FOUND, EXPLORE_DEFAULTS, { id: 'f', title: 't', comment: [] });
  const finding = await shrinkFinding({
    input: { budgetMs: 1000, seed: 1, config: EXPLORE_DEFAULTS, outDir },
    id: 'explore-1-0',
    index: 0,
    generated: FOUND,
    rendered,
    result: caseResult('FAIL'),
    runCase: run,
    foundAfterMs: 100,
    say: () => {},
  });
  return { finding, text: readFileSync(finding.file, 'utf8') };
}

describe('explore: the file written for a finding', () => {
  it('is the shrunk schedule when its replays fail again', async () => {
    // Fails whenever u1 sends at least one message: a steady defect.
    const { run } = scripted((ops) => ops.some((o) => o.op === 'send' && o.from === 'u1/d1'));
    const { finding, text } = await find(run);
    expect(finding.asFound).toBeUndefined();
    expect(finding.reproduced).toBe(2);
    expect(finding.operations).toBeLessThan(FOUND.operations.length);
    expect(text).toContain('Shrunk from 5 to');
    expect(text).toContain('send: { from: u1/d1, to: u2');
    expect(text).not.toContain('from: u2/d1');
  });

  it('is the case as found when the shrunk schedule fails none of its replays (its cuts failed by chance)', async () => {
    // Every schedule fails its first run (the chance that kept each cut); only the case as found
    // fails every time.
    const asFound = JSON.stringify(FOUND.operations);
    const { run, runs } = scripted((ops, before) => before === 0 || JSON.stringify(ops) === asFound);
    const { finding, text } = await find(run);
    expect(finding.asFound).toContain('the shrunk case failed 0 of 2 replays');
    expect(finding.reproduced).toBe(2);
    expect(finding.operations).toBe(FOUND.operations.length);
    expect(runs.slice(-2)).toEqual(['as found', 'as found']);
    expect(text).toContain('Not shrunk: the shrunk case failed 0 of 2 replays');
    expect(text).toContain('It failed 2 of 2 replays.');
  });

  it('says so, and keeps the case as found, when neither schedule fails again', async () => {
    const { run } = scripted((_ops, before) => before === 0);
    const { finding, text } = await find(run);
    expect(finding.reproduced).toBe(0);
    expect(finding.asFound).toContain('which failed 0 of 2');
    expect(text).toContain('(timing-dependent: replay it a few times)');
  });
});
