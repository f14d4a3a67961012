/**
 * Turns history events into metric updates. Metrics are fed by events, not by calls sprinkled
 * through bots and drivers (docs/architecture.md): attach with `history.subscribe(...)` and every
 * frame, send, commit and fault the run records is counted and timed here.
 *
 * What the live events cannot know — a message lost for good, a second commit of the same
 * message in another session, a seq that no device ever got, a send whose outcome stayed
 * unknown — the checker decides at case end; `recordCheckStats` adds those.
 */

import { isSchemaViolation } from '../checker/schema-violation.js';
import type { Finding, LedgerStats } from '../checker/types.js';
import type { History, HistoryEvent } from '../history/events.js';
import { TurnBatch } from '../history/turn-batch.js';
import type { CaseResult } from '../report/types.js';
import { BoundedPairMap } from './bounded-pair-map.js';
import { type BaseLabels, FAULT_ACTIONS, VERDICTS } from './definitions.js';
import type { CounterCell, ImspecMetrics } from './registry.js';

export interface HistoryMetricsOptions {
  /**
   * Messages and requests tracked at once while waiting for their answer; the oldest are
   * forgotten beyond this (their latency is then not observed), which bounds memory.
   * @default 100000
   */
  maxTracked?: number;
  /**
   * Count wire duplicates from the clients' dedup events (pushes they dropped), for a listener
   * with no ledger behind it (the monitor). Otherwise they come from the ledger, with lost and
   * app duplicates (recordCheckStats, a load run's counters): the verdict's own count, which a
   * capture's check cannot get from events (no client records one).
   * @default false
   */
  wireDuplicatesFromEvents?: boolean;
}

interface Pending {
  t: number;
  /** When its first msg:R went out, or -1: msg:A latency runs from there, as the ledger's does. */
  r: number;
  accepted: boolean;
  receipted: boolean;
  delivered: boolean;
}

const userOf = (actor: string): string => {
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
};

/** The rid of a frame that answers or times a request, when it is a string. */
const ridOf = (f: Record<string, unknown>): string | undefined => {
  const rid = f['rid'];
  return typeof rid === 'string' ? rid : undefined;
};

/** FaultEvent.action is free text ("drop", "drop msg:N", "kill -9"): keep a bounded label. */
export function faultLabel(action: string): string {
  const word =
    action
      .trim()
      .toLowerCase()
      .split(/[\s:(-]/, 1)[0] ?? '';
  return (FAULT_ACTIONS as readonly string[]).includes(word) ? word : 'other';
}

/**
 * Builds the listener for one case (or one monitor): `history.subscribe(metricsListener(...))`.
 * All series carry `base` (scenario, driver, suite); they are zero-initialised here.
 */
export function metricsListener(
  metrics: ImspecMetrics,
  base: BaseLabels,
  options: HistoryMetricsOptions = {},
): (event: HistoryEvent) => void {
  const max = options.maxTracked ?? 100_000;
  const wireFromEvents = options.wireDuplicatesFromEvents === true;
  metrics.zeroInit(base);
  // Keyed (sender user, cmid): ack:N comes back to the sender, commits name `from` (a user).
  const sends = new BoundedPairMap<Pending>(max);
  // Keyed (actor, rid): rids are unique per client connection, not across actors. sync:R only.
  const requests = new BoundedPairMap<number>(max);
  // (sender user, cmid) of every message committed: delivered counts messages, as the ledger
  // does (LedgerStats.delivered), not commits — not a second device of the receiver, not a
  // retransmission a server without dedup stored again under a new smid (an app duplicate).
  const committed = new BoundedPairMap<true>(max);

  // Hot path: every series this listener touches is resolved once (label objects and counter
  // cells), so an event costs a Map lookup and an addition, not a label hash (registry.ts).
  const labels = { ...base };
  // Latency series observe with the message as exemplar (cmid, smid; exemplars.ts).
  const msgA = metrics.latency('ackLatency', { ...base, ack: 'msg_a' });
  const ackN = metrics.latency('ackLatency', { ...base, ack: 'ack_n' });
  const delivery = metrics.latency('deliveryLatency', labels);
  const syncDuration = metrics.histogram('syncDuration', labels);
  const sent = metrics.cell('messagesSent', labels);
  const accepted = metrics.cell('messagesAccepted', labels);
  const delivered = metrics.cell('messagesDelivered', labels);
  const syncPages = metrics.cell('syncPages', labels);
  const wireDuplicates = metrics.cell('duplicates', { ...base, layer: 'wire' });
  const retransmits = {
    timeout: metrics.cell('retransmits', { ...base, reason: 'timeout' }),
    reconnect: metrics.cell('retransmits', { ...base, reason: 'reconnect' }),
  };
  const fault = (name: string) => metrics.cell('faultsInjected', { ...base, fault: name });
  type FrameCells = { frames: CounterCell; violations: CounterCell };
  const cellsIn = new Map<string | undefined, FrameCells>();
  const cellsOut = new Map<string | undefined, FrameCells>();
  const frameCell = (type: string | undefined, dir: 'in' | 'out'): FrameCells => {
    // A branch, not frameCells[dir]: a keyed load by a string per frame.
    const cells = dir === 'in' ? cellsIn : cellsOut;
    let c = cells.get(type);
    if (!c) {
      const colon = type === undefined ? -1 : type.indexOf(':');
      const op = type === undefined ? 'unknown' : type.slice(0, colon);
      const kind = type === undefined ? 'unknown' : type.slice(colon + 1);
      c = {
        frames: metrics.cell('frames', { ...base, op, kind, direction: dir }),
        violations: metrics.cell('schemaViolations', { ...base, op, kind }),
      };
      cells.set(type, c);
    }
    return c;
  };
  // Actors the fault proxy sent a corrupted frame: their invalid frames are the kit's doing.
  const corrupted = new Set<string>();
  const users = new Map<string, string>();
  // The actor asked last and its user: a sender's send, msg:A and ack:N ask for the same actor,
  // whose string is the same object each time, so an identity check answers most asks.
  let lastActor: string | undefined;
  let lastUser = '';
  const userOfActor = (actor: string): string => {
    if (actor === lastActor) return lastUser;
    let user = users.get(actor);
    if (user === undefined) {
      user = userOf(actor);
      if (users.size < 10_000) users.set(actor, user);
    }
    lastActor = actor;
    lastUser = user;
    return user;
  };

  // Forgotten only once all three answers came: over XMPP the stream-management ack (msg:A)
  // can come after the receipt and the delivery, and must still count as accepted.
  const settle = (user: string, cmid: string, p: Pending): void => {
    if (p.accepted && p.receipted && p.delivered) sends.delete(user, cmid);
  };

  /** The send time of the request this answer (its rid, on its actor) answers; forgotten now. */
  const answered = (actor: string, f: Record<string, unknown>): number | undefined => {
    const rid = ridOf(f);
    const t = rid === undefined ? undefined : requests.get(actor, rid);
    if (t !== undefined) requests.delete(actor, rid!);
    return t;
  };

  const take = (e: HistoryEvent): void => {
    switch (e.kind) {
      case 'frame': {
        const cells = frameCell(e.type, e.dir);
        cells.frames.inc();
        // Not trusted for timing: a frame that failed decoding or validation, a packet with no
        // RAN/1 counterpart. Only what the checker calls FRAME-4 counts as a violation (never
        // the kit's own probes, never a frame the fault proxy corrupted on its way to `actor`).
        if (e.type === undefined || e.invalid !== undefined) {
          if (isSchemaViolation(e) && !corrupted.has(e.actor)) cells.violations.inc();
          return;
        }
        const f = e.fields;
        if (e.dir === 'out') {
          if (e.type === 'msg:R') {
            // The message's first msg:R; one a step wrote without an app send starts it (the
            // ledger's origin: the app's send, else the first msg:R) — unless it is a settled
            // message sent again (forgotten by `sends`, remembered delivered by `committed`).
            const user = userOfActor(e.actor);
            const cmid = String(f['cmid']);
            const p = sends.get(user, cmid);
            if (p === undefined) {
              if (!committed.has(user, cmid))
                sends.set(user, cmid, {
                  t: e.t,
                  r: e.t,
                  accepted: false,
                  receipted: false,
                  delivered: false,
                });
            } else if (p.r < 0) p.r = e.t;
          } else if (e.type === 'sync:R') {
            const rid = ridOf(f);
            if (rid !== undefined) requests.set(e.actor, rid, e.t);
          }
          return;
        }
        switch (e.type) {
          case 'msg:A': {
            // Once per message, first msg:R to first msg:A (the ledger's ackLatencyMs): a
            // retransmission's own answer is not a second message, and its latency includes the
            // lost first attempt's wait.
            const user = userOfActor(e.actor);
            const cmid = String(f['cmid']);
            const p = sends.get(user, cmid);
            if (p && !p.accepted) {
              p.accepted = true;
              accepted.inc();
              if (p.r >= 0) msgA.observe((e.t - p.r) / 1000, f['cmid'], f['smid']);
              settle(user, cmid, p);
            }
            return;
          }
          case 'sync:A': {
            syncPages.inc();
            const t = answered(e.actor, f);
            if (t !== undefined) syncDuration.observe((e.t - t) / 1000);
            return;
          }
          case 'error:A': {
            const rid = ridOf(f);
            if (rid !== undefined) requests.delete(e.actor, rid);
            return;
          }
          case 'ack:N': {
            const user = userOfActor(e.actor);
            const cmid = String(f['cmid']);
            const p = sends.get(user, cmid);
            if (p && !p.receipted) {
              p.receipted = true;
              ackN.observe((e.t - p.t) / 1000, f['cmid'], f['smid']);
              settle(user, cmid, p);
            }
            return;
          }
          default:
            return;
        }
      }
      case 'send':
        sends.set(userOfActor(e.actor), e.cmid, {
          t: e.t,
          r: -1,
          accepted: false,
          receipted: false,
          delivered: false,
        });
        sent.inc();
        return;
      case 'retransmit':
        retransmits[e.reason].inc();
        return;
      case 'give-up':
        sends.delete(userOfActor(e.actor), e.cmid);
        return;
      case 'commit': {
        // A repeat: an app duplicate, which the checker counts (recordCheckStats).
        if (e.again === true || !committed.set(e.from, e.cmid, true)) return;
        delivered.inc();
        const p = sends.get(e.from, e.cmid);
        if (p && !p.delivered) {
          p.delivered = true;
          delivery.observe((e.t - p.t) / 1000, e.cmid, e.smid);
          settle(e.from, e.cmid, p);
        }
        return;
      }
      case 'dedup':
        // A push of a committed message (what a ledger counts as wireDuplicates); a sync page
        // that reads committed messages again is the client's own request, not a duplicate.
        if (wireFromEvents && e.via === 'push') wireDuplicates.inc();
        return;
      // A gap a client saw ('gap') is its own business until the refetch fails: seq gaps are
      // SEQ-1's holes, which the ledger counts (recordCheckStats, a load run's counters).
      case 'fault': {
        const label = faultLabel(e.action);
        if (label === 'corrupt' && e.actor !== undefined && corrupted.size < 10_000) corrupted.add(e.actor);
        fault(label).inc();
        return;
      }
      case 'target':
        // The runner acting on the target is a fault too; the restart that follows a kill
        // (detail "same data") is its recovery, not a second fault.
        if (e.action === 'kill' || e.action === 'term' || e.action === 'pause') {
          fault(e.action).inc();
        } else if (e.action === 'restart' && e.detail === undefined) {
          fault('restart').inc();
        }
        return;
      case 'misbehave':
        if (e.what !== 'behave') fault('misbehave').inc();
        return;
      default:
        return;
    }
  };

  // Events are taken in runs (history/turn-batch.ts); a read of the registry takes what waits
  // first (beforeRead), so every reader sees every appended event. An exemplar's wall-clock
  // stamp is taken in the run, at most a turn after its event.
  const batch: TurnBatch = new TurnBatch(take, () => metrics.beforeRead(batch.drain));
  return (e: HistoryEvent): void => batch.add(e);
}

/** Subscribes a metrics listener to `history`; returns the unsubscribe function. */
export function attachHistoryMetrics(
  history: History,
  metrics: ImspecMetrics,
  base: BaseLabels,
  options?: HistoryMetricsOptions,
): () => void {
  return history.subscribe(metricsListener(metrics, base, options));
}

/** The ledger figures only the checker decides: what recordCheckStats and a load run's ticks add. */
export type CheckedFigures = Pick<
  LedgerStats,
  'lost' | 'appDuplicates' | 'wireDuplicates' | 'seqGaps' | 'unknownOutcome' | 'recovered'
>;

/**
 * Adds what only the checker knows, at case end: messages lost, duplicates, seq gaps and unknown
 * outcomes, exactly as the verdict counts them (LedgerStats.lost includes messages a restarted
 * server forgot, DUR-1; appDuplicates includes retransmissions stored again, DEDUP-1/DUR-3;
 * seqGaps the seqs SEQ-1 found no device ever got), so a FAIL for loss always moves
 * imspec_messages_lost_total. Everything else in `stats` was already counted live from events,
 * so it is not added again.
 */
export function recordCheckStats(metrics: ImspecMetrics, stats: LedgerStats, labels: BaseLabels): void {
  metrics.zeroInit(labels);
  checkedCells(metrics, labels).add(stats);
}

/**
 * The series of the checker's figures for one label set, moved by `add(figures)`: what the
 * figures rose by since the last add (a case adds its final figures once; a load run adds where
 * its ledger stands at each tick). A figure never counts back: each is held at its highest.
 */
export function checkedCells(
  metrics: ImspecMetrics,
  labels: BaseLabels,
): { add: (figures: CheckedFigures) => void } {
  const cells = {
    lost: metrics.cell('messagesLost', labels),
    appDuplicates: metrics.cell('duplicates', { ...labels, layer: 'app' }),
    wireDuplicates: metrics.cell('duplicates', { ...labels, layer: 'wire' }),
    seqGaps: metrics.cell('seqGaps', labels),
    unrecovered: metrics.cell('messagesUnknownOutcome', { ...labels, recovered: 'false' }),
    recovered: metrics.cell('messagesUnknownOutcome', { ...labels, recovered: 'true' }),
  };
  const seen: CheckedFigures = {
    lost: 0,
    appDuplicates: 0,
    wireDuplicates: 0,
    seqGaps: 0,
    unknownOutcome: 0,
    recovered: 0,
  };
  return {
    add(f) {
      const up = (now: number, before: number) => Math.max(0, now - before);
      cells.lost.inc(up(f.lost, seen.lost));
      cells.appDuplicates.inc(up(f.appDuplicates, seen.appDuplicates));
      cells.wireDuplicates.inc(up(f.wireDuplicates, seen.wireDuplicates));
      cells.seqGaps.inc(up(f.seqGaps, seen.seqGaps));
      cells.recovered.inc(up(f.recovered, seen.recovered));
      cells.unrecovered.inc(up(f.unknownOutcome - f.recovered, seen.unknownOutcome - seen.recovered));
      for (const key of Object.keys(seen) as (keyof CheckedFigures)[])
        seen[key] = Math.max(seen[key], f[key]);
    },
  };
}

/**
 * Counts findings by requirement and level in imspec_findings_total, one per finding as the
 * report lists them (a case's, or a load run's: every finding its ledger judged).
 */
export function recordFindings(
  metrics: ImspecMetrics,
  findings: readonly Pick<Finding, 'requirement' | 'level'>[],
  labels: BaseLabels,
): void {
  for (const f of findings) {
    metrics.cell('findings', { ...labels, requirement: f.requirement, level: f.level }).inc();
  }
}

/**
 * Sets imspec_case_verdict for one finished case (1 for its verdict, 0 for the others) and
 * counts its findings by requirement in imspec_findings_total.
 */
export function recordCaseResult(
  metrics: ImspecMetrics,
  result: Pick<CaseResult, 'id' | 'suite' | 'verdict'> & Partial<Pick<CaseResult, 'findings'>>,
  driver: string,
): void {
  const labels = { scenario: result.id, suite: result.suite, driver };
  recordFindings(metrics, result.findings ?? [], labels);
  for (const verdict of VERDICTS) {
    metrics.m.caseVerdict.set({ ...labels, verdict }, verdict === result.verdict ? 1 : 0);
  }
}
