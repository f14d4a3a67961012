/**
 * Reading shard results for `imspec merge`: files and directories (every `*.json` in it that is
 * not itself a merged result), optionally waiting until all N have arrived — a Kubernetes merge
 * Job starts beside the shards and reads a shared volume they write into.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MergeError } from '../errors.js';
import { RESULT_FORMAT, type ShardFile } from './merge.js';
import type { LoadResult } from './result.js';

/** How often `--wait` looks again. */
const POLL_MS = 2000;

export async function readShardFiles(paths: readonly string[]): Promise<ShardFile[]> {
  const files: ShardFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new MergeError(`${path}: no such file or directory`);
    if (!info.isDirectory()) {
      files.push({ file: path, result: await readResult(path) });
      continue;
    }
    const names = (await readdir(path)).filter((n) => n.endsWith('.json')).sort();
    for (const name of names) {
      const file = join(path, name);
      const result = await readResult(file);
      // A directory also holds what an earlier merge wrote there; files named on the command
      // line are taken as given (and a merged one is refused by the check).
      if (result.merged === undefined && result.format === RESULT_FORMAT) files.push({ file, result });
    }
  }
  return files;
}

async function readResult(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MergeError(`${file}: cannot read the file (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text) as LoadResult;
  } catch (error) {
    // A shard killed mid-write leaves a truncated file: as good as none, and said so.
    throw new MergeError(
      `${file}: not JSON (${(error as Error).message}); was its shard killed while writing it?`,
    );
  }
}

/**
 * Reads until every shard is there (N from `shards` or the files themselves) or `waitMs` has
 * passed; then returns what there is, and the merge's check names what is missing.
 */
export async function collectShardFiles(
  paths: readonly string[],
  options: { shards?: number; waitMs?: number } = {},
): Promise<ShardFile[]> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const files = await readShardFiles(paths).catch((error: unknown) => {
      if (Date.now() < deadline) return undefined;
      throw error;
    });
    if (files) {
      const n = options.shards ?? files[0]?.result.shard?.count;
      const indexes = new Set(files.map((f) => f.result.shard?.index));
      if (n !== undefined && indexes.size >= n) return files;
      if (Date.now() >= deadline) return files;
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))),
    );
  }
}
