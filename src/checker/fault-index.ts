/**
 * Injected faults, indexed so a check can ask "did a fault touch this actor between t0 and t1?".
 * A proxy that drops an R makes the server's silence legitimate; one that duplicates or reorders
 * pushes makes two first pushes legitimate. The checker must stay right on a correct server under
 * faults, so each check excuses exactly the faults that can explain what it saw — and no more.
 */

import type { FaultEvent, TargetEvent } from '../history/events.js';

/** What a fault can do to the frames a check looks at. */
export const LOSS = 1;
export const DUP = 2;
export const ORDER = 4;
export const CORRUPT = 8;
/** Ends the connection it acts on (a cut, a reset, a kill): whatever was in flight on it is lost. */
export const END = 16;
const ALL = LOSS | DUP | ORDER | CORRUPT | END;

/** Fault actions of src/faults (and process/bot faults) → their effect. Unknown actions: any. */
function effectOf(action: string): number {
  const a = action.toLowerCase();
  if (a.includes('drop')) return LOSS;
  if (a.includes('dup')) return DUP;
  if (a.includes('reorder') || a.includes('delay')) return ORDER;
  if (a.includes('corrupt')) return CORRUPT | LOSS;
  if (a.includes('cut') || a.includes('reset') || a.includes('close')) return LOSS | END;
  if (a.includes('stall') || a.includes('blackhole') || a.includes('pause')) return LOSS | ORDER;
  if (a.includes('kill') || a.includes('crash') || a.includes('restart') || a.includes('term'))
    return LOSS | END;
  return ALL;
}

export interface FaultRecord {
  t: number;
  idx: number;
  effect: number;
  /** Parsed from the fault's frame text, when it has one. */
  type: string | undefined;
  rid: string | undefined;
  smid: string | undefined;
  cmid: string | undefined;
}

function parseFrame(text: string | undefined): { type?: string; rid?: string; smid?: string; cmid?: string } {
  if (text === undefined) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    const out: { type?: string; rid?: string; smid?: string; cmid?: string } = {};
    if (typeof o['type'] === 'string') out.type = o['type'];
    if (typeof o['rid'] === 'string') out.rid = o['rid'];
    if (typeof o['smid'] === 'string') out.smid = o['smid'];
    if (typeof o['cmid'] === 'string') out.cmid = o['cmid'];
    return out;
  } catch {
    // A fault on a frame that was not JSON (or a rendering) tells us nothing about it.
    return {};
  }
}

export type FaultFilter = (f: FaultRecord) => boolean;

export class FaultIndex {
  /** Per actor, in time order (events arrive in time order); `undefined` key: faults on everyone. */
  private readonly byActor = new Map<string | undefined, FaultRecord[]>();
  private readonly targets: { t: number; idx: number; action: TargetEvent['action'] }[] = [];
  count = 0;
  /** The latest kill, term, restart or exit of the target so far (as targetAction's crashOnly), or -1. */
  lastStopIdx = -1;

  addFault(e: FaultEvent, idx: number): void {
    const parsed = parseFrame(e.frame);
    const rec: FaultRecord = {
      t: e.t,
      idx,
      effect: effectOf(e.action),
      type: parsed.type,
      rid: parsed.rid,
      smid: parsed.smid,
      cmid: parsed.cmid,
    };
    let list = this.byActor.get(e.actor);
    if (!list) {
      list = [];
      this.byActor.set(e.actor, list);
    }
    list.push(rec);
    this.count++;
  }

  addTarget(e: TargetEvent, idx: number): void {
    this.targets.push({ t: e.t, idx, action: e.action });
    if (!NOT_A_STOP.has(e.action)) this.lastStopIdx = idx;
  }

  /**
   * The first fault on `actor` (or on everyone) in [t0, t1] with an effect in `mask` that passes
   * `filter`; -1 when none. Binary search, then a scan of the window.
   */
  touching(actor: string, t0: number, t1: number, mask: number, filter?: FaultFilter): number {
    if (this.count === 0) return -1;
    const a = scan(this.byActor.get(actor), t0, t1, mask, filter);
    const b = scan(this.byActor.get(undefined), t0, t1, mask, filter);
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  }

  /** How many faults on `actor` (or on everyone) in [t0, t1] have an effect in `mask` and pass `filter`. */
  howMany(actor: string, t0: number, t1: number, mask: number, filter?: FaultFilter): number {
    if (this.count === 0) return 0;
    return (
      tally(this.byActor.get(actor), t0, t1, mask, filter) +
      tally(this.byActor.get(undefined), t0, t1, mask, filter)
    );
  }

  /**
   * The first kill, term, restart, pause or exit of the target in [t0, t1] (with `crashOnly`, not
   * pause: a paused server loses nothing); -1 when none.
   */
  targetAction(t0: number, t1: number, crashOnly = false): number {
    const list = this.targets;
    for (let i = lowerBound(list, t0); i < list.length && list[i]!.t <= t1; i++) {
      const action = list[i]!.action;
      if (action === 'start' || action === 'resume' || (crashOnly && NOT_A_STOP.has(action))) continue;
      return list[i]!.idx;
    }
    return -1;
  }
}

/** Target actions that lose nothing: a start, a resume, a pause (a paused server keeps its state). */
const NOT_A_STOP: ReadonlySet<TargetEvent['action']> = new Set(['start', 'resume', 'pause']);

function lowerBound(list: readonly { t: number }[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The faults of `list` in [t0, t1] with an effect in `mask` that pass `filter`, in time order. */
function* within(
  list: readonly FaultRecord[] | undefined,
  t0: number,
  t1: number,
  mask: number,
  filter: FaultFilter | undefined,
): Generator<FaultRecord> {
  if (!list) return;
  for (let i = lowerBound(list, t0); i < list.length && list[i]!.t <= t1; i++) {
    const f = list[i]!;
    if ((f.effect & mask) !== 0 && (filter === undefined || filter(f))) yield f;
  }
}

function scan(...args: Parameters<typeof within>): number {
  for (const f of within(...args)) return f.idx;
  return -1;
}

function tally(...args: Parameters<typeof within>): number {
  let n = 0;
  for (const _ of within(...args)) n++;
  return n;
}
