/**
 * `npm run fuzz`: the kit's bots against a seeded hostile server (src/faults/hostile-server.ts in
 * front of the real reference server) for a million frames and more, round after round of core
 * cases with a fresh seed each. Fails (exit 1) on a crash (a round that throws or a case that
 * ends ERROR), a hang (a round past its deadline) or a silent case (spoiled frames, no finding).
 * Not part of `npm test`, which runs one bounded round (test/faults/hostile-server.test.ts).
 *
 *   npm run fuzz [-- --frames 1000000 --seed fuzz --flood 2000]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HostileStats, startHostileServer } from '../src/faults/hostile-server.js';
import { runSuites } from '../src/runner/run.js';
import { startServer } from '../src/server/index.js';
import { scriptArgs } from './args.js';

/** Core cases with steady traffic both ways. */
export const FUZZ_CASES = ['happy-six-frames', 'burst-exactly-once', 'per-sender-order', 'lost-msg-a'];

export interface FuzzRound {
  stats: HostileStats;
  /** Cases that ended ERROR: the kit broke. */
  errors: string[];
  /** Cases whose traffic carried detectable anomalies but that report no finding. */
  silent: string[];
  cases: number;
}

/** One round: a fresh reference server and hostile proxy, the cases through it. */
export async function fuzzRound(options: {
  seed: string;
  rate?: number;
  floodSize?: number;
}): Promise<FuzzRound> {
  const secret = 'fuzz-secret';
  const dir = mkdtempSync(join(tmpdir(), 'imspec-fuzz-'));
  const server = await startServer({ port: 0, db: join(dir, 'server.db'), hmacSecret: secret });
  const hostile = await startHostileServer({
    target: server.url,
    seed: options.seed,
    rate: options.rate ?? 0.2,
    floodSize: options.floodSize ?? 50,
  });
  try {
    const errors: string[] = [];
    const silent: string[] = [];
    let before = 0;
    const result = await runSuites(
      {
        paths: ['suites/core'],
        only: FUZZ_CASES,
        target: hostile.url,
        hmacSecret: secret,
        seed: 11,
        timeoutMs: 20_000,
      },
      {
        reporters: [
          {
            // Cases run one after another: the detectable treatments since the last case are this one's.
            onCaseResult: (r) => {
              const now = hostile.stats().detectable;
              const spoiled = now - before;
              before = now;
              if (r.verdict === 'ERROR') errors.push(`${r.id}: ${r.reason ?? 'ERROR'}`);
              else if (spoiled > 0 && (r.verdict === 'PASS' || r.findings.length === 0))
                silent.push(`${r.id} (${spoiled} spoiled)`);
            },
          },
        ],
      },
    );
    return { stats: hostile.stats(), errors, silent, cases: result.cases.length };
  } finally {
    await hostile.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const values = scriptArgs('fuzz', 'npm run fuzz [-- --frames 1000000 --seed fuzz --flood 2000]', {
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: 'fuzz' },
    flood: { type: 'string', default: '2000' },
  });
  const target = Number(values.frames);
  const roundDeadlineMs = 300_000;
  let frames = 0;
  let failures = 0;
  for (let round = 0; frames < target; round++) {
    const seed = `${values.seed}-${round}`;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), roundDeadlineMs);
    });
    const outcome = await Promise.race([fuzzRound({ seed, floodSize: Number(values.flood) }), hang]).catch(
      (e: Error) => e,
    );
    clearTimeout(timer);
    if (outcome === 'hang' || outcome instanceof Error) {
      failures++;
      process.stdout.write(
        `round ${round} (seed ${seed}): ${outcome === 'hang' ? `no end within ${roundDeadlineMs} ms` : `crash: ${outcome.stack}`}\n`,
      );
      if (outcome === 'hang') break;
      continue;
    }
    frames += outcome.stats.framesOut;
    failures += outcome.errors.length + outcome.silent.length;
    const k = outcome.stats.byKind;
    process.stdout.write(
      `round ${round} (seed ${seed}): ${outcome.stats.framesOut} frames in ${Date.now() - started} ms, ` +
        `${outcome.stats.detectable} spoiled (malformed ${k.malformed}, huge ${k.huge}, deep ${k.deep}, binary ${k.binary}, schema ${k.schema}, flood ${k.flood}; reorder ${k.reorder}); ` +
        `errors ${outcome.errors.length}, silent ${outcome.silent.length}; total ${frames}\n`,
    );
    for (const line of [...outcome.errors, ...outcome.silent]) process.stdout.write(`  ${line}\n`);
  }
  process.stdout.write(`fuzz: ${frames} frames, ${failures} failure(s)\n`);
  return failures === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
