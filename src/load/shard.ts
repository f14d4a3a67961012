/**
 * Sharding a load run over machines (`imspec load --shard i/N`), pure: which users, arrivals and
 * faults shard i of N takes. Shards never talk to each other while running (Kubernetes starts
 * them as an Indexed Job); `imspec merge` adds up their results afterwards, so each shard's part
 * must be decided here from the profile, the seed and (i, N) alone:
 *
 * - users: whole groups g ≡ i (mod N), numbered over the whole run, so user ids never collide
 *   across shards and a message never crosses shards (each shard's ledger is exact for its own);
 * - arrivals: i ≡ shard (mod N) of the one seed-derived schedule (schedule.ts), so the shards'
 *   offered rates add up exactly to the profile's;
 * - faults: a rule that counts actions over the run (`times`, or `nth`: once) has its count
 *   shared out, so the whole run injects what one process would; rates (`probability`,
 *   `every`) apply unchanged to each shard's share of the traffic.
 *
 * The same functions deal a shard's part to its worker processes (nested slices).
 */

import { UsageError } from '../errors.js';
import type { FaultRule } from '../faults/types.js';
import type { Slice } from './schedule.js';

/** Kubernetes' Indexed Job puts the pod's index (0 … completions−1) in this variable. */
export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** The most shards a run may have (a merge of this many files is still quick). */
export const MAX_SHARDS = 10_000;

/**
 * `--shard i/N`: i from 0 (as JOB_COMPLETION_INDEX), or `auto/N` (also `$JOB_COMPLETION_INDEX/N`
 * left unexpanded, or `/N`): the index comes from the environment.
 */
export function parseShard(spec: string, env: Record<string, string | undefined> = {}): Slice {
  const m = /^\s*([^/]*)\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new UsageError(`--shard takes i/N (i from 0) or auto/N, got "${spec}"`);
  const count = Number(m[2]);
  if (!(count >= 1 && count <= MAX_SHARDS))
    throw new UsageError(`--shard ${spec}: N must be 1–${MAX_SHARDS}`);
  let text = m[1]!.trim();
  let from = '';
  if (text === '' || text === 'auto' || text === `$${SHARD_INDEX_ENV}` || text === `\${${SHARD_INDEX_ENV}}`) {
    const value = env[SHARD_INDEX_ENV];
    if (value === undefined || value.trim() === '') {
      throw new UsageError(
        `--shard ${spec} reads the index from ${SHARD_INDEX_ENV}, which is not set (a Kubernetes Indexed Job sets it; elsewhere write --shard i/${count})`,
      );
    }
    text = value.trim();
    from = ` (${SHARD_INDEX_ENV}=${value})`;
  }
  if (!/^\d+$/.test(text))
    throw new UsageError(`--shard ${spec}: the index must be a whole number from 0, got "${text}"${from}`);
  const index = Number(text);
  if (index >= count)
    throw new UsageError(
      `--shard ${spec}: index ${index}${from} is not below N=${count} (indexes run 0–${count - 1})`,
    );
  return Object.freeze({ index, count });
}

/** Whole groups g ≡ slice.index (mod slice.count), by their run-wide number. */
export function shardGroups<G extends { index: number }>(groups: readonly G[], slice: Slice): G[] {
  return groups.filter((g) => g.index % slice.count === slice.index);
}

/** A count shared out over `count` parts: part k gets ⌊n/count⌋, plus one for the first n mod count. */
export function shareOf(n: number, slice: Slice): number {
  return Math.floor(n / slice.count) + (slice.index < n % slice.count ? 1 : 0);
}

/**
 * The fault rules slice `slice` applies. A rule with `nth` acts once in the whole run: it goes
 * to one slice, spread by its position in the profile so several such rules land on different
 * slices. A rule with `times` has its count shared out (a slice whose share is 0 drops it).
 * Probabilities and `every` are rates: each slice keeps them, and its share of the traffic gives
 * its share of the actions.
 */
export function shareFaults(rules: readonly FaultRule[], slice: Slice): FaultRule[] {
  if (slice.count === 1) return [...rules];
  const out: FaultRule[] = [];
  for (const [position, rule] of rules.entries()) {
    if (rule.nth !== undefined) {
      if (position % slice.count === slice.index) out.push(rule);
      continue;
    }
    if (rule.times !== undefined) {
      // Rotate by position too, so many `times: 1` rules do not all land on slice 0.
      const rotated = {
        index: (slice.index + slice.count - (position % slice.count)) % slice.count,
        count: slice.count,
      };
      const times = shareOf(rule.times, rotated);
      if (times > 0) out.push({ ...rule, times });
      continue;
    }
    out.push(rule);
  }
  return out;
}

/** The shard's share of the connect rate (connections per second, never below one). */
export function shareRate(rate: number, slice: Slice): number {
  return Math.max(1, rate / slice.count);
}

/** "shard 2/4", for messages. */
export function shardName(slice: Slice): string {
  return `shard ${slice.index}/${slice.count}`;
}
