/**
 * The console summary of a load run, and the one-line progress shown while it runs. Pure: a
 * result (or a progress snapshot) in, text out.
 */

import type { EvidencedFinding } from '../../checker/ledger-contract.js';
import { formatElapsed } from '../../report/format.js';
import type { LoadProgress } from '../hooks.js';
import { KIT_SATURATED_P99_MS, type KitDelay, kitSaturated } from '../kit-delay.js';
import type { LatencySummary } from '../latency.js';
import type { LoadResult } from '../result.js';
import { formatMs, type LatencyFigure } from '../thresholds.js';
import { DROP_REASONS, type DropReason } from '../worker/messages.js';

/** A drop reason in the summary's words. */
const DROP_WORDS: Record<DropReason, string> = {
  window: 'window',
  'no-bot': 'no bot',
  disconnected: 'disconnected',
};

const LATENCY_ROWS: [string, LatencyFigure, LatencyFigure][] = [
  ['msg:R → msg:A', 'ack_latency.msg_a', 'ack_latency.msg_a.scheduled'],
  ['send → ack:N', 'ack_latency.ack_n', 'ack_latency.ack_n.scheduled'],
  ['send → commit', 'delivery_latency', 'delivery_latency.scheduled'],
];

const ms = (v: number) => (Number.isNaN(v) ? '-' : formatMs(v));
const rate = (n: number, durationMs: number) => (durationMs > 0 ? ((n * 1000) / durationMs).toFixed(1) : '0');

function latencyRow(label: string, s: LatencySummary): string {
  const cells = [s.p50, s.p90, s.p99, s.p999, s.max].map((v) => ms(v).padStart(10)).join('');
  return `    ${label.padEnd(28)}${cells}   (${s.count})`;
}

/** Bots the target stopped letting in, in words (the console's and the HTML report's). */
export function unreachableText(r: Pick<LoadResult, 'unreachable' | 'bots'>): string {
  const u = r.unreachable;
  if (!u) return '';
  return `from ${(u.since / 1000).toFixed(1)} s: ${u.bots} of ${r.bots} bots could not log in again to the end (last: ${u.error})`;
}

/** The summary printed when a run ends. */
export function renderLoadSummary(r: LoadResult): string {
  const c = r.counters;
  const d = r.schedule.durationMs;
  const out: string[] = [];
  out.push(`imspec load — ${r.profile.name} (${r.profile.file})`);
  out.push(`  target ${r.target} · driver ${r.driver} · seed ${r.seed} · run ${r.runId}`);
  out.push(
    `  bots   ${r.bots}${r.connectFailures ? ` (${r.connectFailures} failed to connect at first)` : ''} in ${r.workers === 0 ? 'this process' : `${r.workers} worker processes`}`,
  );
  if (r.shard)
    out.push(
      `  shard  ${r.shard.index}/${r.shard.count}: its own users and 1/${r.shard.count} of the rate (imspec merge judges the whole)`,
    );
  if (r.merged)
    out.push(
      `  merged ${r.merged.shards} shards: counters added, histograms merged, thresholds judged on the whole`,
    );
  out.push('');
  out.push(
    `  schedule   ${formatElapsed(d)}: offered ${r.schedule.offered} (${rate(r.schedule.offered, d)}/s), sent ${c.sent} (${rate(c.sent, d)}/s), dropped ${r.dropped.total} (${DROP_REASONS.map((reason) => `${DROP_WORDS[reason]} ${r.dropped[reason]}`).join(', ')})`,
  );
  out.push(
    `  ledger     accepted ${c.accepted}, delivered ${c.delivered}, lost ${c.lost}, app duplicates ${c.appDuplicates}, wire duplicates ${c.wireDuplicates}, unknown outcome ${c.unknownOutcome} (recovered ${c.recovered})`,
  );
  out.push(
    `             retransmits ${c.retransmits} (${c.sent ? (c.retransmits / c.sent).toFixed(3) : '0'} per message), seq gaps ${c.seqGaps}, faults injected ${r.faultsInjected}${r.offlineDepartures ? `, ${r.offlineDepartures} offline departures` : ''}${r.unsettled ? `, ${r.unsettled} unsettled when the drain ran out` : ''}`,
  );
  for (const p of r.process)
    out.push(`  target     ${(p.t / 1000).toFixed(1)} s: ${p.action}${p.detail ? ` (${p.detail})` : ''}`);
  if (r.unreachable) out.push(`  target     ${unreachableText(r)}`);
  if (r.kitDelay) out.push(...kitDelayLines(r.kitDelay));
  out.push('');
  out.push(
    `  latency${' '.repeat(25)}${['p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => h.padStart(10)).join('')}`,
  );
  for (const [label, fromSend, fromSchedule] of LATENCY_ROWS) {
    out.push(latencyRow(`${label} (from send)`, r.latency[fromSend]));
    out.push(latencyRow(`${label} (from schedule)`, r.latency[fromSchedule]));
  }
  out.push('');
  const counts = Object.entries(r.findingCounts);
  if (counts.length === 0) {
    out.push('  findings   none');
  } else {
    out.push(`  findings   ${counts.map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    for (const f of r.findings.slice(0, 5)) {
      out.push(`    ${f.requirement} (${f.level}) ${f.kind}${f.cmid ? ` cmid=${f.cmid}${senderOf(f)}` : ''}`);
      out.push(`      expected: ${f.expected}`);
      out.push(`      actual:   ${f.actual}`);
    }
  }
  out.push('');
  out.push('  thresholds');
  for (const t of r.thresholds) {
    const actual = Number.isNaN(t.actual)
      ? 'no data'
      : t.figure.includes('latency')
        ? formatMs(t.actual)
        : fmt(t.actual);
    out.push(`    ${t.ok ? '✓' : '✗'} ${`${t.figure} ${t.source}`.padEnd(44)} ${actual}`);
  }
  if (r.thresholds.length === 0)
    out.push('    (none: the profile sets no thresholds, so the run passes whatever happened)');
  if (r.aborted)
    out.push(`  aborted at ${(r.aborted.t / 1000).toFixed(1)} s: ${r.aborted.threshold} broke (abortOnFail)`);
  if (r.interrupted)
    out.push(
      `  interrupted at ${(r.interrupted.t / 1000).toFixed(1)} s by ${r.interrupted.signal}: sends stopped there; what was sent was drained and judged`,
    );
  const broke = r.thresholds.filter((t) => !t.ok).length;
  out.push('');
  out.push(
    r.interrupted
      ? `INTERRUPTED: ${r.thresholds.length - broke} of ${r.thresholds.length} thresholds held on the ${(r.interrupted.t / 1000).toFixed(1)} s that ran — not a verdict on the profile (${formatElapsed(r.wallMs)})`
      : r.exitCode === 0
        ? `PASS: ${r.thresholds.length} of ${r.thresholds.length} thresholds held (${formatElapsed(r.wallMs)})`
        : `FAIL: ${broke} of ${r.thresholds.length} thresholds broke${r.aborted ? ', run aborted' : ''} (${formatElapsed(r.wallMs)})`,
  );
  return `${out.join('\n')}\n`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** The live line: offered vs achieved, in flight, dropped, retransmits, lost/dup, p99s, time. */
export function renderProgress(p: LoadProgress, previous: LoadProgress | undefined): string {
  let offered = 0;
  let sent = 0;
  let inFlight = 0;
  let queued = 0;
  let dropped = 0;
  let retransmits = 0;
  let lost = 0;
  let app = 0;
  let connected = 0;
  let bots = 0;
  let msgA = Number.NaN;
  let delivery = Number.NaN;
  for (const s of p.snapshots) {
    offered += s.offered;
    sent += s.counters.sent;
    inFlight += s.window - s.queued;
    queued += s.queued;
    for (const reason of DROP_REASONS) dropped += s.dropped[reason];
    retransmits += s.counters.retransmits;
    lost += s.counters.lost;
    app += s.counters.appDuplicates;
    connected += s.connected;
    bots += s.bots;
    if (!(s.p99.msgA <= msgA)) msgA = s.p99.msgA;
    if (!(s.p99.delivery <= delivery)) delivery = s.p99.delivery;
  }
  let offeredRate = 0;
  let sentRate = 0;
  if (previous) {
    const dt = (p.t - previous.t) / 1000;
    const before = (f: (s: LoadProgress['snapshots'][number]) => number) =>
      previous.snapshots.reduce((n, s) => n + f(s), 0);
    if (dt > 0) {
      offeredRate = (offered - before((s) => s.offered)) / dt;
      sentRate = (sent - before((s) => s.counters.sent)) / dt;
    }
  }
  const elapsed = Math.max(0, Math.min(p.t, p.durationMs));
  const phase =
    p.t > p.durationMs ? 'draining' : `${(elapsed / 1000).toFixed(0)}/${(p.durationMs / 1000).toFixed(0)} s`;
  return [
    phase,
    `offered ${offeredRate.toFixed(0)}/s`,
    `sent ${sentRate.toFixed(0)}/s`,
    // On the wire and unsettled; sends waiting in disconnected bots apart, when there are any.
    queued > 0 ? `in flight ${inFlight} (queued ${queued})` : `in flight ${inFlight}`,
    `dropped ${dropped}`,
    `retransmits ${retransmits}`,
    `lost ${lost}`,
    `app dup ${app}`,
    `p99 msg:A ${ms(msgA)}`,
    `p99 delivery ${ms(delivery)}`,
    `bots ${connected}/${bots}`,
  ].join(' · ');
}

/** The kit's own event-loop delay, and a warning when it was high enough to colour the figures. */
function kitDelayLines(d: KitDelay): string[] {
  const line = `  kit        event loop delay p99 ${d.p99Ms.toFixed(1)} ms, max ${d.maxMs.toFixed(1)} ms`;
  if (!kitSaturated(d)) return [line];
  return [
    `${line} — the kit was saturated (p99 above ${KIT_SATURATED_P99_MS} ms):`,
    '             latencies include its own delay, and what was unsettled when the drain ran out may be',
    "             the kit's doing; give it more processes (--workers) or machines (--shard) and run again",
  ];
}

/**
 * ` from SENDER` for a finding about one message: a load's cmids count per sender (a, b, c…), so
 * the cmid alone names one message of each of the run's senders.
 */
function senderOf(f: EvidencedFinding): string {
  for (const e of f.events) {
    if (e.kind === 'send' || (e.kind === 'frame' && e.dir === 'out' && e.type === 'msg:R'))
      return ` from ${e.actor}`;
  }
  return '';
}
