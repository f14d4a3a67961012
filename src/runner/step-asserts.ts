/**
 * Assertions a step records in the history for the checker (SHUT-1 after SIGTERM; SYNC-2/SYNC-4
 * after paging to the end): what the runner saw, judged where it was seen.
 */

import { waitUntil } from './conditions.js';
import { KitLimit, type StepContext } from './step-context.js';

/**
 * SHUT-1: after SIGTERM, every connection that was up is closed by the server with 1001. Only the
 * events since the signal are read (a short slice, not a search of the history).
 */
export async function assertGoingAway(
  actors: readonly string[],
  from: number,
  ctx: StepContext,
): Promise<void> {
  const closes = new Map<string, number | undefined>();
  const all = await waitUntil(
    () => {
      for (let i = from; i < ctx.history.events.length; i++) {
        const e = ctx.history.events[i]!;
        if (e.kind === 'close' && !closes.has(e.actor)) closes.set(e.actor, e.code);
      }
      return actors.every((a) => closes.has(a));
    },
    2_000,
    10,
    ctx.signal,
  );
  if (!all && ctx.signal.aborted) {
    throw new KitLimit(
      'deadline',
      `${actors.length - closes.size} of ${actors.length} connections not closed yet`,
    );
  }
  for (const actor of actors) {
    const code = closes.get(actor);
    ctx.history.append({
      kind: 'assert',
      t: ctx.history.now(),
      requirement: 'SHUT-1',
      ok: code === 1001,
      expected: 'close 1001 (going away) on SIGTERM',
      actual: closes.has(actor) ? `close ${code ?? '(no code)'}` : 'no close seen',
      actor,
    });
  }
}

/**
 * NEWDEV-1 / SYNC-2 / SYNC-4: paging to the end reaches every seq of the range it walked exactly
 * once — from 1 to maxSeq for a device with nothing stored, otherwise only the part past what the
 * device already held (a forward walk after its watermark, a backward walk below its oldest), or
 * a device paging while pushes are still arriving would be owed seqs it never asked for.
 */
export function assertCompletePaging(
  view: { seqs: number[]; maxSeq: number; from?: number },
  direction: 'forward' | 'backward',
  ctx: StepContext,
) {
  const low = direction === 'forward' ? (view.from ?? 0) + 1 : 1;
  const high =
    direction === 'backward' && view.from !== undefined ? Math.min(view.maxSeq, view.from - 1) : view.maxSeq;
  const seen = new Set(view.seqs);
  const missing: number[] = [];
  for (let s = low; s <= high && missing.length < 5; s++) if (!seen.has(s)) missing.push(s);
  const repeated = view.seqs.length - seen.size;
  ctx.history.append({
    kind: 'assert',
    t: ctx.history.now(),
    requirement: direction === 'backward' ? 'SYNC-2' : 'SYNC-4',
    ok: missing.length === 0 && repeated === 0,
    expected: `${direction} paging to the end returns seq ${low}…${high} once each`,
    actual:
      missing.length === 0 && repeated === 0
        ? `${view.seqs.length} messages`
        : `${missing.length ? `missing ${missing.join(', ')}` : ''}${repeated ? ` ${repeated} repeated` : ''}`.trim(),
  });
}
