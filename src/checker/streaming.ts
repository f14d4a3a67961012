/**
 * The streaming ledger: the checker's engine fed event by event while a run goes on (imspec load,
 * imspec check), settled messages judged and forgotten on a clock (retire.ts), live counters for
 * progress and metrics, each message's latencies told to a sink as they become known, and at the
 * end the same findings the case checker gives — each with copies of the events that prove it,
 * since no history is kept to index into.
 */

import type { HistoryEvent } from '../history/events.js';
import { TurnBatch } from '../history/turn-batch.js';
import type { Scan, TimingSink } from './context.js';
import { DEFAULT_MAX_FINDINGS_PER_RULE, Engine } from './engine.js';
import { FindingSink } from './findings.js';
import type {
  EvidencedFinding,
  LedgerContext,
  LedgerCounters,
  LedgerFactory,
  StreamLedger,
  StreamResult,
} from './ledger-contract.js';
import { EventLog } from './log.js';
import { retire } from './retire.js';
import type { CheckResult } from './types.js';

/** @see LedgerContext.maxAgeMs */
export const DEFAULT_MAX_AGE_MS = 60_000;
/** @see LedgerContext.evidencePerFinding */
export const DEFAULT_EVIDENCE_PER_FINDING = 24;

export class StreamingLedger implements StreamLedger {
  private readonly engine: Engine;
  private readonly log = new EventLog();
  private readonly sink: FindingSink;
  private sent = 0;
  private accepted = 0;
  private delivered = 0;
  private settled = 0;
  private judgedUnsettled = 0;
  /** Pushed, not yet read by the engine (see push). */
  private readonly pending = new TurnBatch((event) => {
    if (event.kind === 'send') this.sent++;
    this.engine.push(event);
  });

  constructor(private readonly ctx: LedgerContext) {
    const caps = new Set(ctx.caps);
    this.sink = new FindingSink(caps, ctx.maxFindingsPerRule ?? DEFAULT_MAX_FINDINGS_PER_RULE, (i) =>
      this.log.at(i),
    );
    const latency = ctx.latency;
    const delayOf = (s: Scan, m: number): number | undefined => {
      const origin = s.l.log.at(s.l.msgs.originIdx.get(m));
      return origin.kind === 'send' && origin.scheduledT !== undefined
        ? origin.t - origin.scheduledT
        : undefined;
    };
    const timing: TimingSink = {
      accepted: (s, m, ms) => {
        this.accepted++;
        latency?.record('msg_a', ms, delayOf(s, m));
      },
      receipted: (s, m, ms) => latency?.record('ack_n', ms, delayOf(s, m)),
      delivered: (s, m, ms) => {
        this.delivered++;
        latency?.record('delivery', ms, delayOf(s, m));
      },
      settled: () => {
        this.settled++;
      },
    };
    this.engine = new Engine(
      {
        expect: ctx.expect,
        users: ctx.users,
        caps: ctx.caps,
        ...(ctx.graceMs === undefined ? {} : { graceMs: ctx.graceMs }),
      },
      this.log,
      { endT: Number.POSITIVE_INFINITY, teardownFrom: Number.POSITIVE_INFINITY },
      // finish() keeps the counts of the engine's stats only: no latency series built for it.
      { timing, sink: this.sink, latencies: false },
    );
  }

  /**
   * Takes an event; the engine reads it by the end of the event-loop turn (history/turn-batch.ts),
   * in order, and every method that reports drains first — so verdicts, counters, evidence and
   * latencies are the ones reading each event at once gives.
   */
  push(event: HistoryEvent): void {
    this.pending.add(event);
  }

  retire(now: number): void {
    this.pending.drain();
    // Judged before it settled (lost, unknown outcome, or too old): no longer in flight either.
    this.judgedUnsettled += retire(this.engine.s, now, {
      maxAgeMs: this.ctx.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    });
  }

  counters(): LedgerCounters {
    this.pending.drain();
    const s = this.engine.s;
    const c = s.counts;
    return {
      sent: this.sent,
      accepted: this.accepted,
      delivered: this.delivered,
      lost: c.lost,
      appDuplicates: s.l.appDuplicates,
      wireDuplicates: s.l.wireDuplicates,
      unknownOutcome: c.unknownOutcome,
      recovered: c.recovered,
      retransmits: s.l.retransmits,
      seqGaps: s.l.seqGaps,
      inFlight: Math.max(0, this.sent - this.settled - this.judgedUnsettled),
    };
  }

  finish(endT: number): StreamResult {
    this.pending.drain();
    const result: CheckResult = this.engine.finish(endT);
    const keep = this.ctx.evidencePerFinding ?? DEFAULT_EVIDENCE_PER_FINDING;
    const findings: EvidencedFinding[] = result.findings.map((finding) => {
      const { evidence: _indexes, ...f } = finding;
      return { ...f, events: (this.sink.copies.get(finding) ?? []).slice(0, keep) };
    });
    const st = result.stats;
    return {
      findings,
      stats: {
        sent: this.sent,
        accepted: st.accepted,
        delivered: st.delivered,
        lost: st.lost,
        appDuplicates: st.appDuplicates,
        wireDuplicates: st.wireDuplicates,
        unknownOutcome: st.unknownOutcome,
        recovered: st.recovered,
        retransmits: st.retransmits,
        seqGaps: st.seqGaps,
        inFlight: 0,
      },
    };
  }
}

export const streamingLedger: LedgerFactory = (ctx) => new StreamingLedger(ctx);
