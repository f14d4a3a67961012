/**
 * Passive checks on traffic recorded from real runs (`imspec run --capture`): a capture of a
 * correct reference server gives no finding, and a capture of a deliberately faulty one gives
 * the findings the run itself reported — same requirement ids — with nothing sent.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCapture } from '../../src/capture/check.js';
import { captureWriter } from '../../src/capture/writer.js';
import type { RunResult } from '../../src/report/types.js';
import { runSuites } from '../../src/runner/run.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-captures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function recorded(
  only: string[],
  serverFaults: string[],
): Promise<{ run: RunResult; files: readonly string[] }> {
  const writer = captureWriter(join(dir, serverFaults.join('+') || 'clean'));
  const run = await runSuites(
    { paths: ['suites/core'], only, serverFaults, seed: 3, reports: [], minimize: false },
    { reporters: [writer.reporter], onHistory: (h, s) => writer.onHistory(h, s) },
  );
  return { run, files: writer.files };
}

/**
 * Requirement ids of a case's findings. Those of its step assertions are in too: a capture holds
 * no assert events, so they never make the capture check look right, and rules that judge the
 * wire (cursors, the always-on rules) report as assertions as well.
 */
function wireRequirements(run: RunResult, id: string): Set<string> {
  const c = run.cases.find((x) => x.id === id)!;
  return new Set(c.findings.map((f) => f.requirement));
}

describe('imspec check on recorded runs', () => {
  it('finds nothing in the traffic of a correct server, and counts what was delivered', async () => {
    const { run, files } = await recorded(
      ['happy-six-frames', 'lost-msg-a', 'offline-standin-receipt', 'reconnect-sync-250'],
      [],
    );
    expect(run.cases.map((c) => c.verdict)).toEqual(['PASS', 'PASS', 'PASS', 'PASS']);
    expect(files).toHaveLength(4);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, 'no credentials in a capture').not.toMatch(/"token":"(?!<redacted>)/);
      const { result, summary } = await checkCapture(file);
      expect(
        result.findings.map((f) => `${f.requirement}: ${f.actual}`),
        file,
      ).toEqual([]);
      expect(result.verdict, file).toBe('PASS');
      expect(result.stats!.delivered, file).toBeGreaterThan(0);
      expect(result.stats!.delivered, file).toBe(
        run.cases.find((c) => file.includes(c.id))!.stats!.delivered,
      );
      expect(summary.frames).toBeGreaterThan(0);
    }
  });

  it.each([
    ['happy-six-frames', 'duplicate-push', 'ORDER-2'],
    ['happy-six-frames', 'bad-schema', 'FRAME-4'],
    ['lost-msg-a', 'no-dedup', 'DEDUP-2'],
    ['reconnect-sync-250', 'sync-page-skip', 'SYNC-1'],
  ])(
    'finds in the traffic of %s against --fault %s what the run found (%s)',
    async (id, fault, requirement) => {
      const { run, files } = await recorded([id], [fault]);
      expect(run.cases[0]!.verdict).toBe('FAIL');
      const { result } = await checkCapture(files[0]!);
      expect(result.verdict).toBe('FAIL');
      const found = new Set(result.findings.map((f) => f.requirement));
      expect(found).toContain(requirement);
      // Nothing the run did not find: passive checks judge the same rules on the same frames.
      for (const r of found) expect(wireRequirements(run, id), `${r} only in the capture check`).toContain(r);
      // Evidence points at frames of the capture.
      for (const f of result.findings) expect(f.evidence.length).toBeGreaterThan(0);
    },
  );
});
