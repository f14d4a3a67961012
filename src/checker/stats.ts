/**
 * LedgerStats and the case-level thresholds (k6-style): p99 of msg:R→msg:A against
 * `ackLatencyP99Ms`, p99 of send→first commit against `deliveryLatencyP99Ms`, retransmissions per
 * sent message against `maxRetransmitRatio`, wire duplicates against `maxWireDuplicates`. These
 * are the case author's own bounds, not rules of RAN/1: their findings carry the threshold's own
 * id (THRESHOLD_IDS) at the case's severity, never a server requirement — a latency problem is
 * not a dedup violation, and how often the kit's own timers fire is not a server MUST.
 */

import type { RetransmitEvent } from '../history/events.js';
import type { EndCounts, Scan } from './context.js';
import { msgCmid } from './msg-reads.js';
import { sortFloat64 } from './sort.js';
import { actorOf, userMsg } from './state.js';
import { doubles, isReserved } from './tables.js';
import type { LedgerStats, ThresholdId } from './types.js';

/**
 * The id each `expect:` threshold's findings carry (documented in docs/reports.md, listed in
 * schemas/report.schema.json): `threshold:` and the scenario key, so it can never be mistaken
 * for a requirement of docs/protocol.md.
 */
export const THRESHOLD_IDS = {
  ackLatencyP99Ms: 'threshold:ackLatencyP99',
  deliveryLatencyP99Ms: 'threshold:deliveryLatencyP99',
  maxRetransmitRatio: 'threshold:maxRetransmitRatio',
  maxWireDuplicates: 'threshold:maxWireDuplicates',
  standinWithinMs: 'threshold:standinWithin',
} as const satisfies Record<string, ThresholdId>;

/** Latencies sorted ascending, with the message behind each kept for evidence. */
interface Series {
  values: number[];
  /** The slowest message id (for evidence), or -1. */
  worst: number;
}

/**
 * One series being gathered: its values in message order (NaN left out) in `buf`, and in `tally`
 * its count, its slowest message and that message's value. Why a Float64Array and not an object:
 * an object made only here dies with each check(), and with it its map; a full collection then
 * clears what the end's code learnt about it, and every check() ran this sweep deoptimized
 * ("insufficient type feedback" under `--trace-deopt`). A typed array's map lives as long as V8.
 */
interface Gather {
  buf: Float64Array;
  tally: Float64Array;
}
const COUNT = 0;
const WORST = 1;
const WORST_VALUE = 2;

function gather(n: number, shared: boolean): Gather {
  const tally = new Float64Array(3);
  tally[WORST] = -1;
  tally[WORST_VALUE] = Number.NEGATIVE_INFINITY;
  return { buf: doubles(n, shared), tally };
}

function add(g: Gather, m: number, v: number): void {
  if (Number.isNaN(v)) return;
  const tally = g.tally;
  g.buf[tally[COUNT]!++] = v;
  if (v > tally[WORST_VALUE]!) {
    tally[WORST_VALUE] = v;
    tally[WORST] = m;
  }
}

/** Sorted (`scratch` ≥ its count is clobbered), as a plain array. */
function series(g: Gather, scratch: Float64Array): Series {
  const n = g.tally[COUNT]!;
  const sorted = sortFloat64(g.buf.subarray(0, n), scratch);
  // A plain loop: Array.from on a typed array goes through the iterator, an object per element.
  const values = new Array<number>(n);
  for (let k = 0; k < n; k++) values[k] = sorted[k]!;
  return { values, worst: g.tally[WORST]! };
}

/**
 * The three latency series in one sweep over the messages: msg:R→msg:A (first msg:R to first
 * msg:A), send→first receipt and send→first commit ("send": the app's, else the first msg:R). A
 * missing or forgotten event reads NaN and leaves the message out. Why one sweep: each value reads
 * two events' times back from the history, a cache miss each on a multi-GB history, and three
 * sweeps read each message's send twice more. Why at the end and not told by the pass as it sets
 * the indexes: measured on the bench's 1M messages, telling cost the pass ~0.3-0.5 s of CPU, the
 * end's sweep ~0.05 s more than reading told values.
 */
function latencySeries(s: Scan): { ack: Series; receipt: Series; delivery: Series } {
  const t = s.l.msgs;
  const log = s.l.log;
  const size = t.size - t.base;
  // On shared buffers when the ledger's columns are (a whole history: tables.ts Store).
  const shared = isReserved(t.originIdx.a);
  const ack = gather(size, shared);
  const receipt = gather(size, shared);
  const delivery = gather(size, shared);
  for (let m = t.base; m < t.size; m++) {
    const sent = log.t(t.originIdx.get(m));
    const r = t.firstRIdx.get(m);
    add(ack, m, r >= 0 ? log.t(t.acceptIdx.get(m)) - log.t(r) : Number.NaN);
    add(receipt, m, log.t(t.firstRcptIdx(m)) - sent);
    add(delivery, m, log.t(t.commitIdx.get(m)) - sent);
  }
  const scratch = doubles(size, shared);
  return {
    ack: series(ack, scratch),
    receipt: series(receipt, scratch),
    delivery: series(delivery, scratch),
  };
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** No latencies gathered: what finishStats reports when nothing asked for them. */
function noSeries(): Series {
  return { values: [], worst: -1 };
}

/**
 * The stats at the end, and the findings of the case-level thresholds. `latencies`: whether the
 * caller reads the latency series; without it they are gathered only for a latency threshold
 * (why: their sweep and three sorts were over half of a streaming ledger's finish() on the load
 * bench's 100k messages, ~1.1 µs a message, for series it drops).
 */
export function finishStats(s: Scan, counts: EndCounts, latencies = true): LedgerStats {
  const l = s.l;
  const t = l.msgs;
  const n = t.size;
  // The app's send when there was one, else the first msg:R.
  const sentIdx = (m: number) => t.originIdx.get(m);
  const gathered =
    latencies || s.expect.ackLatencyP99Ms !== undefined || s.expect.deliveryLatencyP99Ms !== undefined;
  const { ack, receipt, delivery } = gathered
    ? latencySeries(s)
    : { ack: noSeries(), receipt: noSeries(), delivery: noSeries() };
  const level = s.severity;

  const p99ack = percentile(ack.values, 99);
  if (s.expect.ackLatencyP99Ms !== undefined && p99ack > s.expect.ackLatencyP99Ms) {
    s.sink.add({
      kind: 'latency',
      requirement: THRESHOLD_IDS.ackLatencyP99Ms,
      level,
      expected: `p99 msg:R→msg:A ≤ ${s.expect.ackLatencyP99Ms} ms`,
      actual: `p99 ${p99ack.toFixed(1)} ms over ${ack.values.length} messages`,
      evidence: ack.worst >= 0 ? [t.firstRIdx.get(ack.worst), t.acceptIdx.get(ack.worst)] : [],
      cmid: ack.worst >= 0 ? msgCmid(l, ack.worst) : undefined,
    });
  }
  const p99delivery = percentile(delivery.values, 99);
  if (s.expect.deliveryLatencyP99Ms !== undefined && p99delivery > s.expect.deliveryLatencyP99Ms) {
    const w = delivery.worst;
    s.sink.add({
      kind: 'latency',
      requirement: THRESHOLD_IDS.deliveryLatencyP99Ms,
      level,
      expected: `p99 send→commit ≤ ${s.expect.deliveryLatencyP99Ms} ms`,
      actual: `p99 ${p99delivery.toFixed(1)} ms over ${delivery.values.length} messages`,
      evidence: w >= 0 ? [sentIdx(w), t.commitIdx.get(w)] : [],
      cmid: w >= 0 ? msgCmid(l, w) : undefined,
    });
  }
  judgeRetransmits(s, counts.sent);
  const wire = l.wireDuplicates;
  if (s.expect.maxWireDuplicates !== undefined && wire > s.expect.maxWireDuplicates) {
    s.sink.add({
      kind: 'wire-duplicate',
      requirement: THRESHOLD_IDS.maxWireDuplicates,
      level,
      expected: `at most ${s.expect.maxWireDuplicates} pushes of messages the device had already committed`,
      actual: `${wire} such pushes`,
      evidence: l.wireDuplicateIdx,
    });
  }

  let receiptsStored = 0;
  let receiptsDelivered = 0;
  for (let m = t.base; m < n; m++) {
    if (t.storedRcptIdx.get(m) >= 0) receiptsStored++;
    if (t.deliveredRcptIdx.get(m) >= 0) receiptsDelivered++;
  }
  return {
    sent: counts.sent,
    accepted: counts.accepted,
    delivered: counts.delivered,
    lost: counts.lost,
    appDuplicates: l.appDuplicates,
    wireDuplicates: wire,
    unknownOutcome: counts.unknownOutcome,
    recovered: counts.recovered,
    retransmits: l.retransmits,
    receiptsStored,
    receiptsDelivered,
    seqGaps: l.seqGaps,
    schemaViolations: l.schemaViolations,
    requests: l.requests,
    unanswered: l.unanswered,
    ackLatencyMs: ack.values,
    receiptLatencyMs: receipt.values,
    deliveryLatencyMs: delivery.values,
  };
}

/**
 * `maxRetransmitRatio` measures what loss and a server that leaves messages unanswered cost. A
 * retransmission sent while an answer was already on its way — the msg:A of an earlier attempt of
 * the same message, or the message's last answer (the delivered receipt, or msg:A for a target
 * without receipts); it came later, before any answer to the retransmission itself — says the
 * exchange took longer than the client's timer: speed, which the latency thresholds judge, and on
 * a loaded machine mostly the machine's. So the ratio
 * that can fail the case counts only retransmissions no such answer explains (a receipt sent only
 * in answer to the duplicate explains nothing); when those stay within the bound but all of them
 * together do not, the case could not measure what it meant to and says so (INCONCLUSIVE).
 */
function judgeRetransmits(s: Scan, sent: number): void {
  const bound = s.expect.maxRetransmitRatio;
  const l = s.l;
  const all = l.retransmits;
  if (bound === undefined || sent === 0 || all / sent <= bound) return;
  const held = heldRetransmits(s);
  const onTheWay = answersOnTheWay(s, held);
  const unexplained: number[] = [];
  const waits: number[] = [];
  let latestTimer = 0;
  for (const idx of held) {
    const e = l.log.at(idx) as RetransmitEvent;
    latestTimer = Math.max(latestTimer, e.lateMs ?? 0);
    const wait = onTheWay(idx);
    if (wait === undefined) unexplained.push(idx);
    else waits.push(wait);
  }
  const expected = `at most ${bound} retransmissions per message sent`;
  const ratio = (n: number) => (n / sent).toFixed(3);
  // A streaming ledger has forgotten the events of messages it judged: what it cannot read back
  // it cannot explain, so those count against the server as before.
  const forgotten = all - held.length;
  const unexplainedCount = unexplained.length + forgotten;
  if (unexplainedCount / sent > bound) {
    s.sink.add({
      kind: 'retransmit-bound',
      requirement: THRESHOLD_IDS.maxRetransmitRatio,
      level: s.severity,
      expected,
      actual: `${unexplainedCount} retransmissions for ${sent} messages (${ratio(unexplainedCount)}) that no answer already on its way explains (${all} in all)`,
      evidence: unexplained.slice(0, 12),
    });
    return;
  }
  waits.sort((a, b) => a - b);
  s.unmet.push({
    precondition: `${THRESHOLD_IDS.maxRetransmitRatio} (answers within the retransmit timer)`,
    expected: `${expected}, measured while each exchange ends before the client's retransmit timer`,
    actual:
      `${all} retransmissions for ${sent} messages (${ratio(all)}), but ${waits.length} of them were sent while the ` +
      `answer was on its way (it came a median ${Math.round(percentile(waits, 50))} ms later): the exchange was ` +
      `slower than the timer; ${unexplainedCount} (${ratio(unexplainedCount)}) no such answer explains; ` +
      `the kit's retransmit timers ran at most ${Math.round(latestTimer)} ms late`,
    evidence: l.retransmitIdx.slice(0, 6),
  });
}

/** Indexes of the retransmit events the log still holds (all of them for a case history). */
function heldRetransmits(s: Scan): number[] {
  const log = s.l.log;
  const held: number[] = [];
  for (let i = log.floor; i < log.count; i++) if (log.at(i).kind === 'retransmit') held.push(i);
  return held;
}

/** One msg:R of a retransmitted message: its actor|conn|rid and its event index. */
interface Attempt {
  key: string;
  at: number;
}

/**
 * For a retransmit event: how long after it an answer already on its way came, or undefined when
 * none did. Two answers explain it, each only when it came before any reply to the retransmitted
 * msg:R itself (after that reply it may be the duplicate's consequence):
 * - a msg:A to an EARLIER attempt of the same message (same actor and cmid) that arrived after the
 *   retransmission went out: the server was still answering the first msg:R when the client's
 *   timer fired;
 * - the message's last answer (the delivered receipt, or msg:A for a target without receipts).
 * One pass over the frames pairs each retransmission with its msg:R's rid; only messages that were
 * retransmitted are followed, so a streaming ledger's million settled messages cost nothing here.
 */
function answersOnTheWay(s: Scan, held: readonly number[]): (retransmitIdx: number) => number | undefined {
  const l = s.l;
  const t = l.msgs;
  const stopIdx = s.caps.has('delivered-receipt') ? t.deliveredRcptIdx : t.acceptIdx;
  /** actor|cmid → its msg:R frames in order, for retransmitted messages only. */
  const attempts = new Map<string, Attempt[]>();
  for (const idx of held) {
    const e = l.log.at(idx) as RetransmitEvent;
    attempts.set(`${e.actor}|${e.cmid}`, []);
  }
  /** actor|cmid → the retransmit event waiting for its msg:R. */
  const waiting = new Map<string, number>();
  /** retransmit event → actor|conn|rid of its msg:R. */
  const ridOf = new Map<number, string>();
  /** actor|conn|rid → the event index of its (first) msg:A, for the msg:R frames in `attempts`. */
  const answered = new Map<string, number>();
  const followed = new Set<string>();
  const retransmits = new Set(held);
  for (let i = l.log.floor; i < l.log.count; i++) {
    const e = l.log.at(i);
    if (retransmits.has(i) && e.kind === 'retransmit') waiting.set(`${e.actor}|${e.cmid}`, i);
    if (e.kind !== 'frame' || typeof e.fields['rid'] !== 'string') continue;
    const key = `${e.actor}|${e.conn}|${e.fields['rid']}`;
    if (e.dir === 'out' && e.type === 'msg:R') {
      const w = `${e.actor}|${String(e.fields['cmid'])}`;
      const list = attempts.get(w);
      if (list === undefined) continue;
      const r = waiting.get(w);
      if (r !== undefined) {
        ridOf.set(r, key);
        waiting.delete(w);
      }
      list.push({ key, at: i });
      followed.add(key);
    } else if (e.dir === 'in' && e.type === 'msg:A' && followed.has(key) && !answered.has(key)) {
      answered.set(key, i);
    }
  }
  /** The first msg:A to an attempt before the retransmission's own that came after it was sent. */
  const earlierAnswer = (idx: number, list: readonly Attempt[]): number => {
    let first = -1;
    for (const a of list) {
      // The retransmission's own msg:R and any later one come after its event.
      if (a.at > idx) break;
      const ans = answered.get(a.key);
      if (ans !== undefined && ans > idx && (first < 0 || ans < first)) first = ans;
    }
    return first;
  };
  return (idx) => {
    const e = l.log.at(idx) as RetransmitEvent;
    const key = ridOf.get(idx);
    const reply = key === undefined ? undefined : answered.get(key);
    const before = (ans: number) => ans > idx && (reply === undefined || ans < reply);
    const early = earlierAnswer(idx, attempts.get(`${e.actor}|${e.cmid}`) ?? []);
    if (early >= 0 && before(early)) return l.log.t(early) - e.t;
    const m = userMsg(l, actorOf(l, e.actor).user, e.cmid);
    const stop = m < 0 ? -1 : stopIdx.get(m);
    if (stop < 0) return undefined;
    const stopT = l.log.t(stop);
    if (Number.isNaN(stopT)) return undefined;
    // The answer to the retransmission itself came first: what followed may be its consequence.
    if (stopT <= e.t || (reply !== undefined && l.log.t(reply) <= stopT)) return undefined;
    return stopT - e.t;
  };
}
