/**
 * `imspec explore`, as a function: learn what the target can do, then generate cases from the
 * seed and run each like any scenario file (`runSuites`, the full checker with its always-on
 * rules) until the budget ends or one fails; shrink the failing schedule, write it as a
 * ready-to-run scenario, and say how to replay it.
 *
 * Each case is rendered to YAML and loaded by the normal loader, so what explore runs is exactly
 * what `imspec run` would run from the written file, with the same run seed (the case seed is
 * derived from the seed and the case id, which the file keeps).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDriver } from '../drivers/load.js';
import type { CaseResult } from '../report/index.js';
import { createReporters } from '../report/reporters.js';
import { type RunInput, runSuites } from '../runner/run.js';
import { type RunCase, shrinkFinding } from './finding.js';
import { type GeneratedCase, generateCase } from './generate.js';
import { renderCase } from './render.js';
import { FOUND_TITLE, isFinding, replayCommand, seconds, summarize } from './replay.js';
import { learnTarget } from './target.js';
import type { ExploreInput, ExploreResult } from './types.js';

export { replayCommand } from './replay.js';
export type { ExploreFinding, ExploreInput, ExploreResult } from './types.js';

export async function explore(input: ExploreInput): Promise<ExploreResult> {
  const started = performance.now();
  const say = input.progress ?? (() => {});
  const driver = input.loadedDriver ?? (await loadDriver(input.driver ?? 'ran'));
  const abilities = await learnTarget({ ...input, driver });
  say(
    `target claims ${abilities.caps.join(', ') || 'no caps'}; bodies up to ${abilities.maxBodyBytes ?? '?'} bytes; kill -9 ${abilities.canKill ? 'on' : 'off'}; frame faults ${abilities.frameFaults ? 'on' : 'off'}`,
  );
  const work = mkdtempSync(join(tmpdir(), 'imspec-explore-'));
  const verdicts: Record<string, number> = {};
  const unfinished: string[] = [];
  const runInput: RunInput = {
    driver: driver.spec,
    loadedDriver: driver,
    seed: input.seed,
    serverFaults: input.serverFaults ?? [],
    reports: [],
    minimize: false,
    ...(input.target !== undefined ? { target: input.target } : {}),
    ...(input.targetCmd !== undefined ? { targetCmd: input.targetCmd } : {}),
    ...(input.hmacSecret !== undefined ? { hmacSecret: input.hmacSecret } : {}),
  };
  /** Renders `generated` under `id` and runs it; undefined when it does not load (a shrink's empty cut). */
  const runCase: RunCase = async (id, generated, comment, reports = []) => {
    const rendered = renderCase(generated, input.config, { id, title: FOUND_TITLE, comment });
    if (rendered.messages === 0) return undefined;
    const file = join(work, `${id}.yaml`);
    writeFileSync(file, rendered.text);
    // A signal of its own per case: runSuites listens on the one it is given for as long as the
    // signal lives, and hundreds of cases on the caller's signal would pile listeners up.
    const perCase = new AbortController();
    const onAbort = () => perCase.abort(input.signal?.reason);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    // The report of a replay names the command that replays the written scenario.
    const reporters =
      reports.length > 0
        ? createReporters(reports, process.stdout, {
            command: replayCommand(join(input.outDir, `${id}.yaml`), input),
          })
        : [];
    const run = await runSuites(
      { ...runInput, paths: [file] },
      { signal: perCase.signal, reporters },
    ).finally(() => input.signal?.removeEventListener('abort', onAbort));
    const result = run.cases[0];
    return result ? { result, rendered } : undefined;
  };
  try {
    for (let index = 0; performance.now() - started < input.budgetMs && !input.signal?.aborted; index++) {
      const generated = generateCase(input.seed, index, input.config, abilities);
      const id = `explore-${input.seed}-${index}`;
      const ran = await runCase(id, generated, []);
      if (!ran) continue;
      const { result, rendered } = ran;
      verdicts[result.verdict] = (verdicts[result.verdict] ?? 0) + 1;
      const elapsed = performance.now() - started;
      // The kit could not finish it: never a finding, always kept to be looked at.
      const unfinishedCase = result.verdict === 'ERROR' || result.verdict === 'INCONCLUSIVE';
      say(
        `case ${index}: ${result.verdict.padEnd(5)} ${rendered.operations.length} ops, ${rendered.messages} messages${result.faults?.length ? `, ${result.faults.length} frames lost or duplicated` : ''} (${seconds(elapsed)} of ${seconds(input.budgetMs)})${unfinishedCase ? ` — ${result.reason ?? ''}` : ''}`,
      );
      if (unfinishedCase) {
        const kept = keepUnfinished(input, id, generated, result);
        unfinished.push(kept);
        say(`  kept as ${kept}`);
      }
      if (!isFinding(result, input.config)) continue;
      say(`case ${index} failed: ${summarize(result)}; shrinking…`);
      const finding = await shrinkFinding({
        input,
        id,
        index,
        generated,
        rendered,
        result,
        runCase,
        foundAfterMs: elapsed,
        say,
      });
      return {
        seed: input.seed,
        cases: index + 1,
        verdicts,
        elapsedMs: performance.now() - started,
        finding,
        unfinished,
      };
    }
    const cases = Object.values(verdicts).reduce((a, b) => a + b, 0);
    return { seed: input.seed, cases, verdicts, elapsedMs: performance.now() - started, unfinished };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Writes a case the kit could not finish to `<outDir>/unfinished/<id>.yaml`, with why and how to
 * replay it: an ERROR is the kit's own limit, and whoever looks into it needs the schedule.
 */
function keepUnfinished(
  input: ExploreInput,
  id: string,
  generated: GeneratedCase,
  result: CaseResult,
): string {
  const dir = join(input.outDir, 'unfinished');
  const file = join(dir, `${id}.yaml`);
  const comment = [
    `Generated by imspec explore --seed ${input.seed}; the kit could not finish it (${result.verdict}, not a finding):`,
    `  ${result.reason ?? 'no reason recorded'}`,
    `Replay: ${replayCommand(file, input)}`,
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, renderCase(generated, input.config, { id, title: UNFINISHED_TITLE, comment }).text);
  return file;
}

const UNFINISHED_TITLE = 'A generated workload the kit could not finish (kept by imspec explore)';
