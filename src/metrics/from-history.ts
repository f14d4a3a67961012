/**
 * Turns history events into metric updates. Metrics are fed by events, not by calls sprinkled
 * through bots and drivers (DESIGN.md section 3): attach with `history.subscribe(...)` and every
 * frame, send, commit and fault the run records is counted and timed here.
 *
 * What the live events cannot know — a message lost for good, a second commit of the same
 * message in another session — the checker decides at case end; `recordCheckStats` adds those.
 */

import type { LedgerStats } from '../checker/types.js';
import type { History, HistoryEvent } from '../history/events.js';
import type { CaseResult } from '../report/types.js';
import { BoundedMap } from './bounded-map.js';
import { type BaseLabels, FAULT_ACTIONS, VERDICTS } from './definitions.js';
import type { ImspecMetrics } from './registry.js';

export interface HistoryMetricsOptions {
  /**
   * Messages and requests tracked at once while waiting for their answer; the oldest are
   * forgotten beyond this (their latency is then not observed), which bounds memory.
   * @default 100000
   */
  maxTracked?: number;
}

interface Pending {
  t: number;
  accepted: boolean;
  receipted: boolean;
  delivered: boolean;
}

const userOf = (actor: string): string => {
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
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
  const { m } = metrics;
  metrics.zeroInit(base);
  // Keyed "sender user|cmid": ack:N comes back to the sender, commits name `from` (a user).
  const sends = new BoundedMap<string, Pending>(max);
  // Keyed "actor|rid": rids are unique per client connection, not across actors.
  const requests = new BoundedMap<string, number>(max);
  // Keyed "receiving actor|smid": a later commit of the same message is not a new delivery.
  const committed = new BoundedMap<string, true>(max);

  const settle = (key: string, p: Pending): void => {
    if (p.receipted && p.delivered) sends.delete(key);
  };

  return (e: HistoryEvent): void => {
    switch (e.kind) {
      case 'frame': {
        const f = e.fields;
        if (e.type === undefined) {
          m.frames.inc({ ...base, op: 'unknown', kind: 'unknown', direction: e.dir });
          m.schemaViolations.inc({ ...base, op: 'unknown', kind: 'unknown' });
          return;
        }
        const colon = e.type.indexOf(':');
        const op = e.type.slice(0, colon);
        const kind = e.type.slice(colon + 1);
        m.frames.inc({ ...base, op, kind, direction: e.dir });
        // FRAME-4: an invalid frame is counted, and not trusted for timing.
        if (e.invalid !== undefined) {
          m.schemaViolations.inc({ ...base, op, kind });
          return;
        }
        const rid = typeof f['rid'] === 'string' ? `${e.actor}|${f['rid']}` : undefined;
        if (e.dir === 'out') {
          if (rid && (op === 'msg' || op === 'sync')) requests.set(rid, e.t);
          return;
        }
        switch (e.type) {
          case 'msg:A': {
            const sent = rid === undefined ? undefined : requests.get(rid);
            if (sent !== undefined) {
              requests.delete(rid!);
              m.ackLatency.observe({ ...base, ack: 'msg_a' }, (e.t - sent) / 1000);
            }
            const key = `${userOf(e.actor)}|${String(f['cmid'])}`;
            const p = sends.get(key);
            if (p && !p.accepted) {
              p.accepted = true;
              m.messagesAccepted.inc(base);
            }
            return;
          }
          case 'sync:A': {
            m.syncPages.inc(base);
            const sent = rid === undefined ? undefined : requests.get(rid);
            if (sent !== undefined) {
              requests.delete(rid!);
              m.syncDuration.observe(base, (e.t - sent) / 1000);
            }
            return;
          }
          case 'error:A':
            if (rid) requests.delete(rid);
            return;
          case 'ack:N': {
            const key = `${userOf(e.actor)}|${String(f['cmid'])}`;
            const p = sends.get(key);
            if (p && !p.receipted) {
              p.receipted = true;
              m.ackLatency.observe({ ...base, ack: 'ack_n' }, (e.t - p.t) / 1000);
              settle(key, p);
            }
            return;
          }
          default:
            return;
        }
      }
      case 'send':
        sends.set(`${userOf(e.actor)}|${e.cmid}`, {
          t: e.t,
          accepted: false,
          receipted: false,
          delivered: false,
        });
        m.messagesSent.inc(base);
        return;
      case 'retransmit':
        m.retransmits.inc({ ...base, reason: e.reason });
        return;
      case 'give-up':
        sends.delete(`${userOf(e.actor)}|${e.cmid}`);
        return;
      case 'commit': {
        const seen = `${e.actor}|${e.smid}`;
        if (committed.has(seen)) return; // an app duplicate: the checker counts it (recordCheckStats)
        committed.set(seen, true);
        m.messagesDelivered.inc(base);
        const key = `${e.from}|${e.cmid}`;
        const p = sends.get(key);
        if (p && !p.delivered) {
          p.delivered = true;
          m.deliveryLatency.observe(base, (e.t - p.t) / 1000);
          settle(key, p);
        }
        return;
      }
      case 'dedup':
        m.duplicates.inc({ ...base, layer: 'wire' });
        return;
      case 'gap':
        m.seqGaps.inc(base);
        return;
      case 'fault':
        m.faultsInjected.inc({ ...base, fault: faultLabel(e.action) });
        return;
      case 'target':
        // The runner acting on the target is a fault too; the restart that follows a kill
        // (detail "same data") is its recovery, not a second fault.
        if (e.action === 'kill' || e.action === 'term' || e.action === 'pause') {
          m.faultsInjected.inc({ ...base, fault: e.action });
        } else if (e.action === 'restart' && e.detail === undefined) {
          m.faultsInjected.inc({ ...base, fault: 'restart' });
        }
        return;
      case 'misbehave':
        if (e.what !== 'behave') m.faultsInjected.inc({ ...base, fault: 'misbehave' });
        return;
      default:
        return;
    }
  };
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

/**
 * Adds what only the checker knows, at case end: messages lost for good and application-level
 * duplicates (a second commit of one message, exactly-once broken). Everything else in
 * `stats` was already counted live from events, so it is not added again.
 */
export function recordCheckStats(metrics: ImspecMetrics, stats: LedgerStats, labels: BaseLabels): void {
  metrics.zeroInit(labels);
  if (stats.lost > 0) metrics.m.messagesLost.inc(labels, stats.lost);
  if (stats.appDuplicates > 0) metrics.m.duplicates.inc({ ...labels, layer: 'app' }, stats.appDuplicates);
}

/** Sets imspec_case_verdict for one finished case: 1 for its verdict, 0 for the others. */
export function recordCaseResult(
  metrics: ImspecMetrics,
  result: Pick<CaseResult, 'id' | 'suite' | 'verdict'>,
  driver: string,
): void {
  const labels = { scenario: result.id, suite: result.suite, driver };
  for (const verdict of VERDICTS) {
    metrics.m.caseVerdict.set({ ...labels, verdict }, verdict === result.verdict ? 1 : 0);
  }
}
