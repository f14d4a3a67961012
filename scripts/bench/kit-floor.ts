/**
 * Floors for the kit's own work, as floor-server.ts is for the server: the least any
 * implementation of the kit's job could spend per message on this machine, measured in the same
 * run as the figures they place. Not the kit's code: a lower bound the goals can be read against.
 *
 * - `countOnce`: the least an exactly-once verdict costs. One pass over the history, one table
 *   from cmid to a message slot and one from smid to it, a counter per message in a typed array (no
 *   object per message, so the collector has nothing to trace), then one pass over the counters.
 *   No rule beyond "committed exactly once", no per-sender cmid scope (cmids are unique in the
 *   synthetic history), no evidence kept: what check() does is a strict superset.
 * - `kitFloor`: what the bots must do per message before judging anything — validate every frame
 *   (the kit's compiled schema validator) and record it as one history event — plus `countOnce`
 *   over what was recorded. The bare `ws` client of the bots bench does none of it.
 */

import type { HistoryEvent } from '../../src/history/events.js';
import { isValidFrame } from '../../src/protocol/validate.js';
import { cleanExchange } from './clean-history.js';
import { cpuMsSince, fmtSpread, type Spread, spread } from './figures.js';

/** Messages of the history not committed exactly once (0 on a clean history). */
export function countOnce(events: readonly HistoryEvent[]): number {
  // A clean exchange is eight events per message: slots for that many, grown if a history has more.
  let committed = new Int32Array((events.length >> 3) + 16);
  const byCmid = new Map<string, number>();
  const bySmid = new Map<string, number>();
  let n = 0;
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.kind === 'send') {
      if (n === committed.length) {
        const grown = new Int32Array(n * 2);
        grown.set(committed);
        committed = grown;
      }
      byCmid.set(e.cmid, n++);
    } else if (e.kind === 'commit') {
      const i = bySmid.get(e.smid);
      if (i !== undefined) committed[i]!++;
    } else if (e.kind === 'frame' && e.type === 'msg:A') {
      const f = e.fields as { cmid?: unknown; smid?: unknown };
      const i = byCmid.get(f.cmid as string);
      if (i !== undefined) bySmid.set(f.smid as string, i);
    }
  }
  let wrong = 0;
  for (let i = 0; i < n; i++) if (committed[i] !== 1) wrong++;
  return wrong;
}

export interface KitFloor {
  /** µs of CPU per message, medians of the rounds. */
  validate: Spread;
  record: Spread;
  countOnce: Spread;
  /** The three together, per round. */
  total: Spread;
}

/** CPU µs of this process since `from`. */
const cpuUs = (from: NodeJS.CpuUsage): number => cpuMsSince(from) * 1000;

/**
 * The floor of the bots' per-message work at `messages` messages of the clean six-frame exchange
 * (frames as the ran driver parses them), over `rounds` rounds after one warm-up. Throws if the
 * floor's own count finds a message not committed exactly once: it would measure a broken floor.
 */
export function kitFloor(messages: number, rounds: number): KitFloor {
  const template = Array.from(cleanExchange(messages, { raw: false, scheduled: false }));
  const frames = template.filter((e) => e.kind === 'frame');
  const validate: number[] = [];
  const record: number[] = [];
  const count: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    let c = process.cpuUsage();
    let valid = 0;
    for (const e of frames) if (isValidFrame(e.fields)) valid++;
    const vUs = cpuUs(c);
    if (valid !== frames.length)
      throw new Error(`kit floor: ${frames.length - valid} synthetic frames invalid`);
    c = process.cpuUsage();
    // What a bot appends per frame: a fresh event object holding the parsed frame.
    const history: HistoryEvent[] = [];
    for (const e of template) {
      if (e.kind === 'frame') {
        history.push({
          kind: 'frame',
          t: e.t,
          actor: e.actor,
          conn: e.conn,
          dir: e.dir,
          type: e.type,
          fields: e.fields,
          raw: '',
        });
      } else history.push(e);
    }
    const rUs = cpuUs(c);
    c = process.cpuUsage();
    const wrong = countOnce(history);
    const cUs = cpuUs(c);
    if (wrong !== 0) throw new Error(`kit floor: ${wrong} clean messages not counted once`);
    if (r === 0) continue; // warm-up
    validate.push(vUs / messages);
    record.push(rUs / messages);
    count.push(cUs / messages);
  }
  return {
    validate: spread(validate),
    record: spread(record),
    countOnce: spread(count),
    total: spread(validate.map((v, i) => v + record[i]! + count[i]!)),
  };
}

/**
 * The best rate ratio to the bare client any client could reach when client and server share the
 * cores (rates then compare as CPU sums per message): (bare + server) / (bare + floor + server).
 * Undefined when the server's CPU was not measured.
 */
export function bestRateRatio(
  bareUs: number,
  serverUs: number | undefined,
  floorUs: number,
): number | undefined {
  return serverUs === undefined ? undefined : (bareUs + serverUs) / (bareUs + floorUs + serverUs);
}

/**
 * Prints the kit floor at `messages` messages against `room`: the µs per message a 0.9× goal
 * leaves the kit above its bare baseline (`how` says how the room was worked out). Returns the
 * floor's µs per message (median of the rounds' totals).
 */
export function printKitFloor(messages: number, rounds: number, room: number, how: string): number {
  // A round of the floor takes a fraction of a second: more of them than a section's, so its
  // median is steady.
  const floor = kitFloor(messages, Math.max(rounds, 9));
  const us = (x: Spread) => x.median.toFixed(2);
  console.log(
    `  kit floor, ${messages.toLocaleString('en-US')} messages (validate every frame, record it, count once; no rules):`,
  );
  console.log(
    `    validate ${us(floor.validate)} + record ${us(floor.record)} + count once ${us(floor.countOnce)} = ${fmtSpread(floor.total, ' µs/message', 2)} CPU`,
  );
  console.log(
    `    ${how} ${room.toFixed(2)} µs/message above the bare client — ${floor.total.median > room ? 'less than the floor' : 'more than the floor'}`,
  );
  return floor.total.median;
}
