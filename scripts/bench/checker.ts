/**
 * Bench section `checker`: the checker's time on a synthetic history of 1M messages, each the
 * eight events of a clean exchange (send, msg:R, msg:A, msg:N, commit, ack:R, ack:A, ack:N),
 * 50 sender/receiver pairs interleaved — 8M events. Goal: ≤ 2 s. The baseline, measured in the
 * same run on the same array, is one pass that only reads each event's kind and type: the floor
 * for anything that looks at every event.
 *
 * Frames carry an empty `raw` (wire text is for report excerpts; the checker never reads it), so
 * the history fits in the default heap. Run alone: `node dist/scripts/bench/checker.js [messages]`.
 */

import { pathToFileURL } from 'node:url';
import { check } from '../../src/checker/index.js';
import type { CheckContext } from '../../src/checker/types.js';
import type { HistoryEvent } from '../../src/history/events.js';
import { CAPS, type Limits } from '../../src/protocol/frames.js';

const PAIRS = 50;
const LIMITS: Limits = {
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  syncLimitMax: 200,
  pushWindow: 100,
  repushMs: 2_000,
  dedupWindowMs: 86_400_000,
  helloTimeoutMs: 10_000,
  idleMs: 120_000,
};

/** A clean run of `messages` messages over PAIRS pairs: what a correct server and bots record. */
export function syntheticHistory(messages: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let t = 0;
  const senders: string[] = [];
  const receivers: string[] = [];
  for (let p = 0; p < PAIRS; p++) {
    senders.push(`s${p}/phone`);
    receivers.push(`r${p}/phone`);
  }
  for (const actor of [...senders, ...receivers]) {
    const [user, device] = actor.split('/') as [string, string];
    const rid = 'h';
    events.push({
      kind: 'frame',
      t,
      actor,
      conn: 1,
      dir: 'out',
      type: 'hello:R',
      fields: { rid, user, device, token: 't', lastSeq: 0 },
      raw: '',
    });
    events.push({
      kind: 'frame',
      t,
      actor,
      conn: 1,
      dir: 'in',
      type: 'hello:A',
      fields: { rid, user, device, maxSeq: 0, pending: 0, caps: [...CAPS], limits: LIMITS, serverTime: 0 },
      raw: '',
    });
    events.push({
      kind: 'session',
      t,
      actor,
      conn: 1,
      maxSeq: 0,
      pending: 0,
      caps: [...CAPS],
      limits: LIMITS,
      lastSeq: 0,
    });
  }
  for (let k = 0; k < messages; k++) {
    const p = k % PAIRS;
    const sender = senders[p]!;
    const receiver = receivers[p]!;
    const from = `s${p}`;
    const to = `r${p}`;
    const seq = Math.floor(k / PAIRS) + 1;
    const cmid = `c${k}`;
    const smid = `m${k}`;
    const body = `body ${k}`;
    const rid = `q${seq}`;
    const ackRid = `a${seq}`;
    t += 0.01;
    events.push({ kind: 'send', t, actor: sender, cmid, to, body });
    events.push({
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'out',
      type: 'msg:R',
      fields: { rid, cmid, to, body },
      raw: '',
    });
    t += 0.01;
    events.push({
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'msg:A',
      fields: { rid, cmid, smid, ts: 1 },
      raw: '',
    });
    const stored = { smid, cmid, from, to, body, seq, ts: 1, attempt: 1 };
    t += 0.01;
    events.push({
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'msg:N',
      fields: stored,
      raw: '',
    });
    events.push({ kind: 'commit', t, actor: receiver, smid, cmid, from, seq, body, via: 'push' });
    events.push({
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'out',
      type: 'ack:R',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    });
    t += 0.01;
    events.push({
      kind: 'frame',
      t,
      actor: receiver,
      conn: 1,
      dir: 'in',
      type: 'ack:A',
      fields: { rid: ackRid, upTo: seq },
      raw: '',
    });
    events.push({
      kind: 'frame',
      t,
      actor: sender,
      conn: 1,
      dir: 'in',
      type: 'ack:N',
      fields: { cmid, smid, to, status: 'delivered', ts: 1 },
      raw: '',
    });
  }
  return events;
}

export function syntheticContext(): CheckContext {
  const users: Record<string, string[]> = {};
  for (let p = 0; p < PAIRS; p++) {
    users[`s${p}`] = ['phone'];
    users[`r${p}`] = ['phone'];
  }
  return {
    expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
    users,
    caps: [...CAPS],
  };
}

/** Floor 1: read every event's kind and frame type once. */
function readPass(events: readonly HistoryEvent[]): number {
  let frames = 0;
  for (const e of events) if (e.kind === 'frame' && e.type !== undefined) frames++;
  return frames;
}

/** Floor 2: index every sent message by cmid — the least any ledger keyed by message must do. */
function indexPass(events: readonly HistoryEvent[]): number {
  const byCmid = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === 'send') byCmid.set(e.cmid, i);
  }
  return byCmid.size;
}

/** Wall and CPU milliseconds of fn (CPU: this process, every thread — GC helpers included). */
function timed<T>(fn: () => T): [T, number, number] {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const value = fn();
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  return [value, wall, (cpu.user + cpu.system) / 1000];
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function run(messages = 1_000_000): Promise<void> {
  // Warm the JIT on a small history first, so the measurement is the steady state.
  const warm = syntheticHistory(20_000);
  check(warm, syntheticContext());
  readPass(warm);
  indexPass(warm);

  const [events, buildMs] = timed(() => syntheticHistory(messages));
  const [, readMs] = timed(() => readPass(events));
  const [, indexMs] = timed(() => indexPass(events));
  // Best of three: the machine is shared, and a neighbour's burst is not the checker's cost.
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = 0;
  let result: ReturnType<typeof check> | undefined;
  for (let k = 0; k < 3; k++) {
    const [r, wall, cpu] = timed(() => check(events, syntheticContext()));
    result = r;
    if (wall < best) {
      best = wall;
      bestCpu = cpu;
    }
  }
  const stats = result!.stats;
  console.log(
    `checker: ${messages.toLocaleString('en')} messages, ${events.length.toLocaleString('en')} events (history built in ${s(buildMs)})`,
  );
  console.log(
    `  check()                    ${s(best)} wall, ${s(bestCpu)} CPU   ${(events.length / 1e6 / (best / 1000)).toFixed(1)} M events/s   goal ≤ 2 s: ${best <= 2000 ? 'met' : 'NOT met'}`,
  );
  console.log(`  floor: one read pass       ${s(readMs)}   check is ${(best / readMs).toFixed(1)}× it`);
  console.log(`  floor: index cmids (Map)   ${s(indexMs)}   check is ${(best / indexMs).toFixed(1)}× it`);
  console.log(
    `  verdict: ${result!.findings.length} findings; delivered ${stats.delivered}/${stats.sent}; ${stats.ackLatencyMs.length} ack latencies`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(process.argv[2] ? Number(process.argv[2]) : undefined);
}
