/**
 * TEST ONLY, until the checker's StreamingLedger is part of imspec: the streaming-ledger contract
 * (src/load/ledger.ts) fulfilled by the case checker itself — events are kept and `check()` runs
 * over them at `finish`. No delivery rule is restated here: findings and counts are the case
 * checker's. It keeps every event, so it suits the short runs of the test suite only.
 */

import { check } from '../../src/checker/index.js';
import type { HistoryEvent } from '../../src/history/events.js';
import {
  type LedgerContext,
  type LedgerCounters,
  type LedgerFactory,
  type StreamLedger,
  type StreamResult,
  zeroCounters,
} from '../../src/load/ledger.js';

interface Timing {
  sentT: number;
  delay: number | undefined;
  msgA: boolean;
  ackN: boolean;
  commit: boolean;
}

class BatchLedger implements StreamLedger {
  private readonly events: HistoryEvent[] = [];
  private readonly live = zeroCounters();
  private readonly timing = new Map<string, Timing>();
  private readonly firstR = new Map<string, number>();

  constructor(private readonly ctx: LedgerContext) {}

  push(e: HistoryEvent): void {
    this.events.push(e);
    const user = (actor: string) => actor.slice(0, actor.indexOf('/'));
    switch (e.kind) {
      case 'send':
        this.live.sent++;
        this.timing.set(`${user(e.actor)}|${e.cmid}`, {
          sentT: e.t,
          delay: e.scheduledT === undefined ? undefined : e.t - e.scheduledT,
          msgA: false,
          ackN: false,
          commit: false,
        });
        return;
      case 'retransmit':
        this.live.retransmits++;
        return;
      case 'gap':
        this.live.seqGaps++;
        return;
      case 'dedup':
        this.live.wireDuplicates++;
        return;
      case 'commit': {
        const m = this.timing.get(`${e.from}|${e.cmid}`);
        if (m && !m.commit) {
          m.commit = true;
          this.live.delivered++;
          this.ctx.latency?.record('delivery', e.t - m.sentT, m.delay);
        }
        return;
      }
      case 'frame': {
        if (e.invalid !== undefined) return;
        const key = `${user(e.actor)}|${String(e.fields['cmid'])}`;
        if (e.type === 'msg:R' && !this.firstR.has(key)) this.firstR.set(key, e.t);
        const m = this.timing.get(key);
        if (!m) return;
        if (e.type === 'msg:A' && !m.msgA) {
          m.msgA = true;
          this.live.accepted++;
          this.ctx.latency?.record('msg_a', e.t - (this.firstR.get(key) ?? m.sentT), m.delay);
        } else if (e.type === 'ack:N' && !m.ackN) {
          m.ackN = true;
          this.ctx.latency?.record('ack_n', e.t - m.sentT, m.delay);
        }
        return;
      }
      default:
        return;
    }
  }

  retire(): void {}

  counters(): LedgerCounters {
    let inFlight = 0;
    for (const m of this.timing.values()) if (!m.commit) inFlight++;
    return { ...this.live, inFlight };
  }

  finish(endT: number): StreamResult {
    const { findings, stats } = check(this.events, {
      expect: this.ctx.expect,
      users: this.ctx.users,
      caps: this.ctx.caps,
      endT,
      ...(this.ctx.maxFindingsPerRule === undefined
        ? {}
        : { maxFindingsPerRule: this.ctx.maxFindingsPerRule }),
    });
    return {
      findings: findings.map(({ evidence, ...f }) => ({
        ...f,
        events: evidence.slice(0, this.ctx.evidencePerFinding ?? 24).map((i) => this.events[i]!),
      })),
      stats: {
        sent: stats.sent,
        accepted: stats.accepted,
        delivered: stats.delivered,
        lost: stats.lost,
        appDuplicates: stats.appDuplicates,
        wireDuplicates: stats.wireDuplicates,
        unknownOutcome: stats.unknownOutcome,
        recovered: stats.recovered,
        retransmits: stats.retransmits,
        seqGaps: stats.seqGaps,
        inFlight: 0,
      },
    };
  }
}

export const batchLedger: LedgerFactory = (ctx) => new BatchLedger(ctx);
