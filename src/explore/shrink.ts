/**
 * Shrinking a failing schedule to a small one that still fails the same way. Two passes:
 *
 * 1. Delta debugging over the operations — the same ddmin (faults/ddmin.ts) that `imspec run`
 *    uses to cut fault events, here over the generator's output (Jepsen and QuickCheck shrink the
 *    generated input, not the history). Rendering drops operations a removal made meaningless,
 *    so every subset is a valid scenario.
 * 2. Smaller parameters of what is left, one at a time, each kept only if the case still fails:
 *    fewer messages, smaller bodies, ASCII instead of unicode, own cmids instead of shared
 *    ones, no rate, shorter waits and ack delays, a plain reconnect. A reader sees the one
 *    property that matters (a body over 1 KiB, an emoji, a cmid two users share).
 *
 * "Fails the same way" is: a finding verdict with at least one requirement id of the original
 * failure, so shrinking cannot wander off to another defect (or to a kit error).
 */

import { minimize } from '../faults/ddmin.js';
import type { FrameFault, Operation } from './operations.js';

export interface ShrinkOptions {
  maxRuns: number;
  /** performance.now() after which no run starts. */
  deadline: number;
}

export interface ShrinkResult {
  operations: Operation[];
  runs: number;
  /** The budget ran out first: the smallest failing schedule found, not proved minimal. */
  exhausted: boolean;
}

/**
 * `stillFails` renders and runs a candidate schedule: true when it fails as the original did,
 * undefined when there was nothing to run (a cut that left no message), which costs no budget.
 */
export async function shrinkOperations(
  operations: readonly Operation[],
  stillFails: (candidate: readonly Operation[]) => Promise<boolean | undefined>,
  options: ShrinkOptions,
): Promise<ShrinkResult> {
  let runs = 0;
  let exhausted = false;
  const budgeted = async (candidate: readonly Operation[]): Promise<boolean> => {
    if (runs >= options.maxRuns || performance.now() > options.deadline) {
      exhausted = true;
      return false;
    }
    const verdict = await stillFails(candidate);
    if (verdict !== undefined) runs++;
    return verdict === true;
  };
  // ddmin's own bound counts every call, empty cuts included: ours (above) is the one that binds.
  const cut = await minimize(operations, budgeted, { maxRuns: options.maxRuns * 4 });
  let current = cut.events;
  exhausted ||= cut.exhausted;
  // Pass 2: one parameter at a time, each operation in turn, until nothing gets smaller; a
  // change after which the case passes is not kept.
  for (let changed = true; changed && !exhausted; ) {
    changed = false;
    for (let i = 0; i < current.length && !exhausted; i++) {
      for (const smaller of smallerVariants(current[i]!)) {
        const candidate = current.with(i, smaller);
        if (await budgeted(candidate)) {
          current = candidate;
          changed = true;
          break;
        }
        if (exhausted) break;
      }
    }
  }
  return { operations: current, runs: runs, exhausted };
}

/**
 * The frame rules of a failing case, cut before its operations: first every rule at once, then
 * one at a time. A failure that needs no lost frame then replays without the proxy's dice, and
 * one that does keeps only the rule it needs.
 */
export async function shrinkFrameFaults(
  faults: readonly FrameFault[],
  stillFails: (candidate: readonly FrameFault[]) => Promise<boolean | undefined>,
  options: ShrinkOptions,
): Promise<{ faults: FrameFault[]; runs: number; exhausted: boolean }> {
  let runs = 0;
  const spent = () => runs >= options.maxRuns || performance.now() > options.deadline;
  const candidates: FrameFault[][] = [
    [],
    ...(faults.length > 1 ? faults.map((_, i) => faults.filter((_, j) => j !== i)) : []),
  ];
  // The generator draws at most two rules, so after one cut nothing smaller is left to try
  // that has not been tried already (no rule at all).
  for (const candidate of candidates) {
    if (spent()) return { faults: [...faults], runs, exhausted: true };
    const verdict = await stillFails(candidate);
    if (verdict !== undefined) runs++;
    if (verdict === true) return { faults: candidate, runs, exhausted: false };
  }
  return { faults: [...faults], runs, exhausted: false };
}

/** Simpler forms of one operation, boldest first; each is tried on the current best. */
export function smallerVariants(op: Operation): Operation[] {
  switch (op.op) {
    case 'send': {
      const out: Operation[] = [];
      if (op.count > 1) out.push({ ...op, count: 1 });
      if (op.count > 3) out.push({ ...op, count: Math.ceil(op.count / 2) });
      if (op.size > 32) out.push({ ...op, size: 32 });
      if (op.size > 64) out.push({ ...op, size: Math.ceil(op.size / 2) });
      if (op.text === 'unicode') out.push({ ...op, text: 'ascii' });
      if (op.cmids !== undefined) {
        const { cmids: _shared, ...own } = op;
        out.push(own);
      }
      if (op.rate > 0) out.push({ ...op, rate: 0 });
      return out;
    }
    case 'wait':
      return op.ms > 100
        ? [
            { ...op, ms: 100 },
            { ...op, ms: Math.ceil(op.ms / 2) },
          ]
        : [];
    case 'misbehave':
      return op.delayAcksMs !== undefined && op.delayAcksMs > 100
        ? [{ ...op, delayAcksMs: Math.ceil(op.delayAcksMs / 2) }]
        : [];
    case 'connect':
      return op.state === 'keep' ? [] : [{ ...op, state: 'keep' }];
    case 'disconnect':
      return op.mode === 'crash' ? [{ ...op, mode: 'clean' }] : [];
    case 'page':
      return op.direction === 'backward' ? [{ ...op, direction: 'forward' }] : [];
    default:
      return [];
  }
}
