/**
 * `imspec merge`, pure: shard results (`imspec load --shard i/N --out FILE`) in, one run's result
 * out — or a MergeError saying why the files do not make one run. k6 cannot judge thresholds
 * across instances; here they are judged once, on the merged figures:
 *
 * - the files must belong together: same result format, imspec version, profile hash, seed,
 *   driver, duration and N; every index 0…N−1 exactly once (a missing or doubled shard is an
 *   error naming the index, never a silently smaller or larger total);
 * - counters and drop counts add, histograms merge exactly (HdrHistogram `add`), finding counts
 *   add; percentiles and thresholds are computed after the merge, never averaged.
 */

import { MergeError } from '../errors.js';
import type { Threshold } from './profile/types.js';
import { buildLoadResult, type LoadResult, mergeWorkers } from './result.js';
import { checkShardResult } from './shard-check.js';
import { parseThreshold } from './thresholds.js';
import type { WorkerResult } from './worker/messages.js';

export const RESULT_FORMAT = 'imspec-load-result/1';

/** One shard result as read from its file (the name is for messages). */
export interface ShardFile {
  file: string;
  result: LoadResult;
}

export interface MergeOptions {
  /** N the caller expects (`--shards N`): checked against the files' own N. */
  shards?: number;
  /** Id of the merged run. @default derived from shard 0's */
  runId?: string;
}

/** What the files must agree on, with how to say it. */
const SAME: [string, (r: LoadResult) => unknown][] = [
  ['imspec version', (r) => r.imspec],
  ['profile hash', (r) => r.profile.hash],
  ['shard count N', (r) => r.shard?.count],
  ['seed', (r) => r.seed],
  ['driver', (r) => r.driver],
  ['schedule duration (ms)', (r) => r.schedule.durationMs],
];

/** Checks that `files` are the shards of one run: every index once, everything else alike. */
export function checkShards(files: readonly ShardFile[], options: MergeOptions = {}): number {
  if (files.length === 0)
    throw new MergeError('no shard results to merge: pass the files (or their directory)');
  for (const { file, result } of files) {
    if (result?.format !== RESULT_FORMAT) {
      throw new MergeError(
        `${file} is not an imspec load result (format "${String(result?.format)}", expected ${RESULT_FORMAT})`,
      );
    }
    if (!result.shard) {
      throw new MergeError(
        `${file} is a whole run, not a shard: merge the --out files of imspec load --shard i/N`,
      );
    }
    checkShardResult(file, result);
  }
  const first = files[0]!;
  for (const [what, get] of SAME) {
    const expected = get(first.result);
    const odd = files.find((f) => get(f.result) !== expected);
    if (odd) {
      throw new MergeError(
        `${odd.file} is not part of the same run as ${first.file}: ${what} ${String(get(odd.result))} ≠ ${String(expected)}`,
      );
    }
  }
  const n = first.result.shard!.count;
  if (options.shards !== undefined && options.shards !== n) {
    throw new MergeError(`the files are shards of N=${n}, but --shards ${options.shards} was expected`);
  }
  const byIndex = new Map<number, string[]>();
  for (const f of files) {
    const i = f.result.shard!.index;
    byIndex.set(i, [...(byIndex.get(i) ?? []), f.file]);
  }
  const doubled = [...byIndex].filter(([, list]) => list.length > 1);
  if (doubled.length > 0) {
    const [i, list] = doubled[0]!;
    throw new MergeError(
      `shard ${i}/${n} appears ${list.length} times (${list.join(', ')}): each index must be merged exactly once`,
    );
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  const stray = [...byIndex.keys()].filter((i) => i < 0 || i >= n);
  if (stray.length > 0) throw new MergeError(`shard index ${stray[0]} is outside 0–${n - 1}`);
  if (missing.length > 0) {
    throw new MergeError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: no result file for index ${missing.join(', ')} (did its pod fail or its file not reach the results volume?). The run is incomplete; no verdict from ${files.length} of ${n} shards`,
    );
  }
  return n;
}

/** Merges the shards of one run into the result a single-machine run would have written. */
export function mergeShards(files: readonly ShardFile[], options: MergeOptions = {}): LoadResult {
  const n = checkShards(files, options);
  const shards = [...files]
    .sort((a, b) => a.result.shard!.index - b.result.shard!.index)
    .map((f) => f.result);
  const first = shards[0]!;
  const merged = mergeWorkers(shards.map(asWorkerResult));
  // Each shard kept a bounded sample of findings; its counts cover them all.
  const findingCounts: Record<string, number> = {};
  for (const r of shards) {
    for (const [key, count] of Object.entries(r.findingCounts))
      findingCounts[key] = (findingCounts[key] ?? 0) + count;
  }
  merged.findingCounts = findingCounts;
  const start = Math.min(...shards.map((r) => Date.parse(r.startedAt)));
  const end = Math.max(...shards.map((r) => Date.parse(r.startedAt) + r.wallMs));
  const process = shards
    .flatMap((r) =>
      r.process.map((p) => ({ ...p, detail: `shard ${r.shard!.index}${p.detail ? `: ${p.detail}` : ''}` })),
    )
    .sort((a, b) => a.t - b.t);
  const targets = [...new Set(shards.map((r) => r.target))];
  return buildLoadResult(
    {
      runId: options.runId ?? `${first.runId}-merged`,
      profile: { ...first.profile, durationMs: first.schedule.durationMs, thresholds: thresholdsOf(first) },
      startedAt: new Date(start).toISOString(),
      wallMs: end - start,
      seed: first.seed,
      target: targets.length === 1 ? targets[0]! : targets.join(', '),
      driver: first.driver,
      workers: shards.reduce((w, r) => w + r.workers, 0),
      process,
      ...abortedOf(shards),
      ...interruptedOf(shards),
      merged: { shards: n, runIds: shards.map((r) => r.runId) },
    },
    merged,
  );
}

function asWorkerResult(r: LoadResult): WorkerResult {
  return {
    index: r.shard!.index,
    offered: r.schedule.offered,
    // Every reason is there: the shard check refused a file without one (the schema requires it).
    dropped: r.dropped,
    counters: r.counters,
    findings: r.findings,
    histograms: r.histograms,
    endT: r.wallMs,
    unsettled: r.unsettled,
    faultsInjected: r.faultsInjected,
    offlineDepartures: r.offlineDepartures,
    bots: r.bots,
    connectFailures: r.connectFailures,
    ...(r.unreachable ? { unreachable: r.unreachable } : {}),
    ...(r.kitDelay ? { kitDelay: r.kitDelay } : {}),
  };
}

/**
 * The profile's thresholds, read back from what a shard judged (figure and expression as
 * written): merge needs no profile file, and cannot judge by a different one.
 */
function thresholdsOf(r: LoadResult): Threshold[] {
  return r.thresholds.map((t) => parseThreshold(t.figure, t.source, t.abortOnFail));
}

/** A shard that was interrupted leaves the merged run short of its load: say so. */
function interruptedOf(shards: LoadResult[]): { interrupted?: LoadResult['interrupted'] } {
  const r = shards.find((s) => s.interrupted);
  return r?.interrupted
    ? { interrupted: { ...r.interrupted, signal: `${r.interrupted.signal} (shard ${r.shard!.index})` } }
    : {};
}

/** A shard stopped by an abortOnFail threshold stops the merged verdict too (its sends ended early). */
function abortedOf(shards: LoadResult[]): { aborted?: LoadResult['aborted'] } {
  const r = shards.find((s) => s.aborted);
  return r?.aborted
    ? { aborted: { ...r.aborted, threshold: `${r.aborted.threshold} (shard ${r.shard!.index})` } }
    : {};
}
