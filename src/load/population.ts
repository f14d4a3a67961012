/**
 * Who takes part, pure: the profile's population becomes groups — a sender and its receivers
 * (pairs, fanout), or a clique of users who all send (random) — and groups are dealt to workers
 * whole, so a message never crosses workers and each worker's ledger is exact for its own
 * messages. Also pure here: which receiving devices go offline when, and who a send goes to.
 */

import type { OfflineSchedule, Population } from './profile/types.js';

/** One connection: a device of a user. */
export interface DevicePlan {
  user: string;
  device: string;
  /** Sends (the sender's device; every member with pairing random). */
  sends: boolean;
  /** Receives (every device of a receiving user). */
  receives: boolean;
}

export interface GroupPlan {
  /** Global group number, from 0. */
  index: number;
  /** Users of the group in order: senders first (pairs and fanout have one). */
  users: string[];
  /** Users that send. */
  senders: string[];
  /** Users that receive; a sender of a random group receives too. */
  receivers: string[];
  devices: DevicePlan[];
}

/**
 * User names are `<tag>-<role><group>[.<k>]`: the tag keeps runs (and shards) apart on a shared
 * target, whose dedup windows and inboxes outlive a run.
 */
export function buildGroups(p: Population, tag: string): GroupPlan[] {
  const groups: GroupPlan[] = [];
  const deviceNames = Array.from({ length: p.devices }, (_, d) => `d${d + 1}`);
  const receiverDevices = (user: string, sends: boolean): DevicePlan[] =>
    deviceNames.map((device, d) => ({ user, device, sends: sends && d === 0, receives: true }));
  if (p.pairing === 'random') {
    const count = Math.floor(p.senders / p.groupSize);
    for (let g = 0; g < count; g++) {
      const users = Array.from({ length: p.groupSize }, (_, k) => `${tag}-m${g}.${k}`);
      groups.push({
        index: g,
        users,
        senders: users,
        receivers: users,
        devices: users.flatMap((u) => receiverDevices(u, true)),
      });
    }
    return groups;
  }
  const k = p.pairing === 'pairs' ? 1 : p.fanout;
  for (let g = 0; g < p.senders; g++) {
    const sender = `${tag}-s${g}`;
    const receivers = Array.from({ length: k }, (_, j) => (k === 1 ? `${tag}-r${g}` : `${tag}-r${g}.${j}`));
    groups.push({
      index: g,
      users: [sender, ...receivers],
      senders: [sender],
      receivers,
      devices: [
        { user: sender, device: 'd1', sends: true, receives: false },
        ...receivers.flatMap((r) => receiverDevices(r, false)),
      ],
    });
  }
  return groups;
}

/** Deals groups to `workers` round-robin: worker w gets groups w, w + n, w + 2n, … */
export function dealGroups<G>(groups: readonly G[], workers: number): G[][] {
  const out: G[][] = Array.from({ length: workers }, () => []);
  for (const [i, g] of groups.entries()) out[i % workers]!.push(g);
  return out;
}

/** Connections (devices) of a population, without building it. */
export function connectionCount(p: Population): number {
  if (p.pairing === 'random') return Math.floor(p.senders / p.groupSize) * p.groupSize * p.devices;
  const k = p.pairing === 'pairs' ? 1 : p.fanout;
  return p.senders * (1 + k * p.devices);
}

/** 32-bit mix of two integers (splitmix-style): stable per (seed, n) on every machine. */
export function mix(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Who send number `local` of a sender goes to: fanout cycles through the sender's receivers;
 * random picks another member of the group, seeded by (seed, global arrival index).
 */
export function recipientOf(
  group: GroupPlan,
  sender: string,
  local: number,
  global: number,
  seed: number,
): string {
  if (group.senders.length === 1) return group.receivers[local % group.receivers.length]!;
  const others = group.users.length - 1;
  const self = group.users.indexOf(sender);
  const pick = mix(seed, global) % others;
  return group.users[pick >= self ? pick + 1 : pick]!;
}

/**
 * The offline plan of receiving device number `n` (counted over the run): whether it takes part,
 * and its phase. A share s of devices takes part (every device whose seeded draw is below s);
 * each is offline for `forMs` once every `everyMs`, starting at its phase, so departures spread
 * evenly instead of arriving as one storm.
 */
export function offlinePlan(
  schedule: OfflineSchedule,
  n: number,
  seed: number,
): { offline: boolean; phaseMs: number } {
  const draw = mix(seed ^ 0x0ff1, n) / 2 ** 32;
  const phaseMs = Math.floor((mix(seed ^ 0x0ff2, n) / 2 ** 32) * schedule.everyMs);
  return { offline: draw < schedule.share, phaseMs };
}

/**
 * Whether a device with this phase is offline at `tMs`, and when that next changes. Offline
 * windows are [phase + k·every, phase + k·every + for) for k ≥ 0.
 */
export function offlineAt(
  schedule: OfflineSchedule,
  phaseMs: number,
  tMs: number,
): { offline: boolean; untilMs: number } {
  if (tMs < phaseMs) return { offline: false, untilMs: phaseMs };
  const k = Math.floor((tMs - phaseMs) / schedule.everyMs);
  const start = phaseMs + k * schedule.everyMs;
  if (tMs < start + schedule.forMs) return { offline: true, untilMs: start + schedule.forMs };
  return { offline: false, untilMs: start + schedule.everyMs };
}
