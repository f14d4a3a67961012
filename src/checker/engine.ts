/**
 * The checker's engine: one ledger fed event by event. The case checker pushes a whole history
 * and finishes; the streaming ledger pushes as events happen, retires settled messages on a clock
 * (retire.ts) and finishes at the end of the run. Both run the same pass (scan.ts) and the same
 * rules (rules.ts), so a delivery rule lives in one place.
 */

import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import { graceOf, type Scan, type TimingSink, zeroEndCounts } from './context.js';
import { FaultIndex } from './fault-index.js';
import { FindingSink } from './findings.js';
import type { EventLog } from './log.js';
import { judgePreconditions } from './preconditions.js';
import { RULES, type Rule } from './rules.js';
import { dispatch } from './scan.js';
import { ActorState, addUser, newLedger, UserState } from './state.js';
import { finishStats } from './stats.js';
import type { CheckContext, CheckResult } from './types.js';

/** @see CheckContext.settleMs */
export const DEFAULT_SETTLE_MS = 250;
/** @see CheckContext.graceMs (the floor) */
export const DEFAULT_GRACE_MS = 2000;
/** @see CheckContext.maxFindingsPerRule */
export const DEFAULT_MAX_FINDINGS_PER_RULE = 50;

export interface EngineEnd {
  /** Where the case ended (+∞: not known yet, a streaming run). */
  endT: number;
  /** Client closes from this index on are the runner's teardown (+∞: none known). */
  teardownFrom: number;
}

/** What an engine is given besides its context, log and end. */
export interface EngineOptions {
  timing?: TimingSink;
  sink?: FindingSink;
  /**
   * Whether finish() returns the latency series in its stats (LedgerStats.ackLatencyMs and the
   * others). Without them they are built only when a latency threshold needs them: a streaming
   * ledger reports counts only, its latencies told to a sink as they happened.
   * @default true
   */
  latencies?: boolean;
}

export class Engine {
  readonly s: Scan;
  private readonly eventRules: Rule[] = RULES.filter((r) => r.event !== undefined);
  private readonly latencies: boolean;

  constructor(
    readonly ctx: CheckContext,
    log: EventLog,
    end: EngineEnd,
    options: EngineOptions = {},
  ) {
    this.latencies = options.latencies ?? true;
    const l = newLedger(log);
    for (const [name, devices] of Object.entries(ctx.users)) {
      const user = addUser(l, new UserState(name, true, l.index.arena));
      for (const device of devices) {
        const actor = new ActorState(`${name}/${device}`, user, true);
        user.addDevice(actor);
        l.actors.set(actor.id, actor);
      }
    }
    const caps = new Set<Cap>(ctx.caps);
    this.s = {
      l,
      sink:
        options.sink ??
        new FindingSink(
          caps,
          ctx.maxFindingsPerRule ?? DEFAULT_MAX_FINDINGS_PER_RULE,
          undefined,
          new Set(ctx.pinned),
        ),
      faults: new FaultIndex(),
      caps,
      expect: ctx.expect,
      severity: ctx.severity ?? 'MUST',
      settleMs: ctx.settleMs ?? DEFAULT_SETTLE_MS,
      endT: end.endT,
      teardownFrom: end.teardownFrom,
      graceMs: ctx.graceMs ?? DEFAULT_GRACE_MS,
      graceFixed: ctx.graceMs !== undefined,
      counts: zeroEndCounts(),
      timing: options.timing,
      pageHoles: [],
      deferredReceipts: [],
      reaccepts: [],
      unmet: [],
    };
  }

  push(e: HistoryEvent): void {
    const s = this.s;
    const i = s.l.log.append(e);
    dispatch(s, e, i);
    // Index loops on the per-event path: for…of allocated an iterator per event where not inlined.
    const rules = this.eventRules;
    for (let k = 0; k < rules.length; k++) rules[k]!.event!(s, e, i);
  }

  /** Runs the end rules at `endT` (or the end the engine was given) and returns the verdicts. */
  finish(endT?: number): CheckResult {
    const s = this.s;
    if (endT !== undefined) s.endT = endT;
    // A re-push comes repushMs after a lost push, so "had time" is at least two of them.
    graceOf(s, DEFAULT_GRACE_MS);
    for (const r of RULES) r.end?.(s);
    const stats = finishStats(s, s.counts, this.latencies);
    const unmet = [...judgePreconditions(s, this.ctx.preconditions ?? []), ...s.unmet];
    return { findings: s.sink.result(), stats, unmet };
  }
}
