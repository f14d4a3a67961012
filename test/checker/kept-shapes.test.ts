/**
 * check() keeps one small engine alive for the life of the process (check.ts keepShapes), so the
 * maps its optimized code depends on outlive each check and a full collection between checks does
 * not throw that code away. What it keeps: copies of the first events of a history, never the
 * caller's history itself nor anything past its first KEPT_EVENTS events.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { syntheticContext, syntheticHistory } from '../../scripts/bench/checker.js';
import { check } from '../../src/checker/check.js';
import type { HistoryEvent } from '../../src/history/events.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Collects until `gone` holds, or gives up after 20 tries. A WeakRef's target stays alive until
 * the job that made it ends, and a compile job V8 runs meanwhile may hold it for a while.
 */
async function collectUntil(gone: () => boolean): Promise<void> {
  for (let k = 0; k < 20 && !gone(); k++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
}

it('keeps the first events of a checked history, and neither the history nor its later events', async () => {
  const refs = ((): {
    history: WeakRef<HistoryEvent[]>;
    first: WeakRef<HistoryEvent>;
    late: WeakRef<HistoryEvent>;
  } => {
    const events = syntheticHistory(1000);
    expect(check(events, syntheticContext()).findings).toEqual([]);
    return {
      history: new WeakRef(events),
      first: new WeakRef(events[0]!),
      late: new WeakRef(events[events.length - 1]!),
    };
  })();
  await collectUntil(() => refs.history.deref() === undefined && refs.late.deref() === undefined);
  expect(refs.history.deref()).toBeUndefined();
  expect(refs.late.deref()).toBeUndefined();
  expect(refs.first.deref()).toBeDefined();
});
