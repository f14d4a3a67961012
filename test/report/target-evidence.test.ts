/**
 * Bounce counts and the end of the target's log, from a case's history: pure.
 */

import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { renderCase } from '../../src/report/console.js';
import { bounceLine, needsTargetEvidence, targetEvidence } from '../../src/report/target-evidence.js';
import { caseResult } from './fixtures.js';

const events: HistoryEvent[] = [
  { kind: 'target', t: 1, action: 'kill' },
  { kind: 'target', t: 2, action: 'restart', detail: 'same data' },
  { kind: 'target', t: 3, action: 'exited', detail: 'code null signal SIGSEGV' },
  { kind: 'target', t: 4, action: 'pause' },
  { kind: 'target', t: 5, action: 'restart' },
];

describe('targetEvidence', () => {
  it('counts the exits the kit caused, the crashes and the restarts, and keeps the last log lines', () => {
    const log = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n\n`;
    const evidence = targetEvidence({ events, log, restartedBeforeCase: true });
    expect(evidence).toMatchObject({ kills: 2, crashes: 1, restarts: 2, restartedBeforeCase: true });
    expect(evidence.logTail).toHaveLength(15);
    expect(evidence.logTail?.at(-1)).toBe('line 20');
    expect(bounceLine(evidence)).toBe(
      'exited 3× (1 crash), restarted 2×, restarted before the case (it was down after the previous one)',
    );
  });

  it('keeps the log without terminal colours', () => {
    const log = '\x1b[38;5;87m2026-12-04 [notice] leader elected\x1b[0m\n';
    expect(targetEvidence({ events: [], log, restartedBeforeCase: false }).logTail).toEqual([
      '2026-12-04 [notice] leader elected',
    ]);
  });

  it('says so when the target neither exited nor wrote anything', () => {
    const evidence = targetEvidence({ events: [], log: '  \n', restartedBeforeCase: false });
    expect(evidence.logTail).toBeUndefined();
    expect(bounceLine(evidence)).toBe('no exit, restarted 0×');
  });

  it('is wanted on every verdict that did not pass, and on no other', () => {
    expect(['FAIL', 'WARN', 'ERROR', 'FLAKY', 'XFAIL'].every((v) => needsTargetEvidence(v as never))).toBe(
      true,
    );
    expect(['PASS', 'INFO', 'UNSUPPORTED'].some((v) => needsTargetEvidence(v as never))).toBe(false);
  });

  it('shows under a failing case on the console', () => {
    const result = caseResult('crashy', 'FAIL', {
      target: {
        kills: 0,
        crashes: 1,
        restarts: 0,
        restartedBeforeCase: false,
        logTail: ['Segmentation fault'],
      },
    });
    const text = renderCase(result, { color: false }).join('\n');
    expect(text).toContain('target: exited 1× (1 crash), restarted 0×');
    expect(text).toContain('target log (last 1 lines of the case):');
    expect(text).toContain('  Segmentation fault');
  });
});
