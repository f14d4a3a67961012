/**
 * A failing case, made into the file a reader replays: its frame rules and operations shrunk
 * (shrink.ts), the result replayed to see how often it fails again, and written as a scenario
 * whose comment says how it was found and how to replay it.
 */

import { join } from 'node:path';
import { optionWords, writeOutputFile } from '../output-paths.js';
import type { CaseResult } from '../report/index.js';
import type { GeneratedCase } from './generate.js';
import type { FrameFault, Operation } from './operations.js';
import { renderCase } from './render.js';
import { FOUND_TITLE, isFinding, replayCommand, seconds, summarize } from './replay.js';
import { shrinkFrameFaults, shrinkOperations } from './shrink.js';
import type { ExploreFinding, ExploreInput } from './types.js';

/** Replays of the shrunk scenario before it is written, unless the input says otherwise. */
const CONFIRM_RUNS = 2;

/** Renders `generated` under `id` and runs it; undefined when it does not load (a shrink's empty cut). */
export type RunCase = (
  id: string,
  generated: GeneratedCase,
  comment: string[],
  reports?: string[],
) => Promise<{ result: CaseResult; rendered: ReturnType<typeof renderCase> } | undefined>;

export interface ShrinkArgs {
  input: ExploreInput;
  id: string;
  index: number;
  generated: GeneratedCase;
  rendered: { operations: Operation[] };
  result: CaseResult;
  runCase: RunCase;
  foundAfterMs: number;
  say: (line: string) => void;
}

export async function shrinkFinding(a: ShrinkArgs): Promise<ExploreFinding> {
  const { input, id } = a;
  const wanted = new Set(a.result.findings.map((f) => f.requirement));
  const failsTheSameWay = (result: CaseResult) =>
    isFinding(result, input.config) && result.findings.some((f) => wanted.has(f.requirement));
  let last = { result: a.result, operations: a.rendered.operations };
  const budget = {
    maxRuns: input.config.shrink.maxRuns,
    deadline: performance.now() + input.config.shrink.maxMs,
  };
  /** Runs a candidate: true when it fails the same way, undefined when there was nothing to run. */
  const stillFails = async (candidate: GeneratedCase) => {
    const ran = await a.runCase(id, candidate, []);
    if (ran === undefined) return undefined;
    const same = failsTheSameWay(ran.result);
    if (same) {
      last = { result: ran.result, operations: ran.rendered.operations };
      a.say(
        `  shrink: ${ran.rendered.operations.length} ops, ${ran.rendered.messages} messages, ${candidate.faults?.length ?? 0} frame rules still fail`,
      );
    }
    return same;
  };
  // The frame rules first (a failure that needs no lost frame then shrinks without the proxy's
  // dice), then the operations.
  const asFound: GeneratedCase = { ...a.generated, operations: a.rendered.operations };
  let generated = asFound;
  let faultRuns = 0;
  if (generated.faults?.length) {
    const base = generated;
    const cut = await shrinkFrameFaults(
      base.faults!,
      (faults) => stillFails(withFaults(base, faults)),
      budget,
    );
    generated = withFaults(base, cut.faults);
    faultRuns = cut.runs;
  }
  const shrunkOps = await shrinkOperations(
    generated.operations,
    (candidate) => stillFails({ ...generated, operations: [...candidate] }),
    { ...budget, maxRuns: budget.maxRuns - faultRuns },
  );
  const shrunk = { ...shrunkOps, runs: faultRuns + shrunkOps.runs };
  generated = { ...generated, operations: shrunk.operations };
  const confirmRuns = input.confirmRuns ?? CONFIRM_RUNS;
  /**
   * Replays `schedule` confirmRuns times; how many failed the same way. The last replay writes
   * the reports, so they always show a run of the file that is written.
   */
  const replays = async (schedule: GeneratedCase): Promise<number> => {
    let failed = 0;
    for (let i = 0; i < confirmRuns && !input.signal?.aborted; i++) {
      const lastReplay = i === confirmRuns - 1;
      const ran = await a.runCase(id, schedule, [], lastReplay ? (input.reports ?? []) : []);
      if (ran && failsTheSameWay(ran.result)) failed++;
    }
    return failed;
  };
  // Replays of the smallest schedule: a timing-dependent defect fails only some of them, and
  // shrinking may have kept a cut that failed by chance; the file and the output say how often.
  let reproduced = await replays(generated);
  a.say(`  confirm: the shrunk case failed ${reproduced} of ${confirmRuns} replays`);
  // None failed: the cuts were kept on chance failures, and the shrunk file would hand its reader
  // a case that passes. The case as found is written instead (with its own replays' count and
  // reports); it is what failed with nothing chosen for failing, so the better bet to fail again.
  let fellBack: string | undefined;
  if (
    reproduced === 0 &&
    confirmRuns > 0 &&
    !input.signal?.aborted &&
    JSON.stringify(generated) !== JSON.stringify(asFound)
  ) {
    const shrunkReplays = `the shrunk case failed 0 of ${confirmRuns} replays`;
    generated = asFound;
    last = { result: a.result, operations: a.rendered.operations };
    reproduced = await replays(asFound);
    fellBack = `${shrunkReplays}: this is the case as found, which failed ${reproduced} of ${confirmRuns}`;
    a.say(`  confirm: ${fellBack}`);
  }
  const replay = replayCommand(join(input.outDir, `${id}.yaml`), input);
  const comment = [
    `Found by imspec explore --seed ${input.seed} (case ${a.index}) after ${seconds(a.foundAfterMs)}:`,
    `  ${summarize(last.result)}`,
    fellBack === undefined
      ? `Shrunk from ${a.rendered.operations.length} to ${shrunk.operations.length} operations in ${shrunk.runs} runs${shrunk.exhausted ? ' (budget spent: small, not proved minimal)' : ''}.`
      : `Not shrunk: ${fellBack} (${shrunk.runs} shrink runs).`,
    `It failed ${reproduced} of ${confirmRuns} replays${reproduced < confirmRuns ? ' (timing-dependent: replay it a few times)' : ''}.`,
    `Replay: ${replay}`,
  ];
  const final = renderCase(generated, input.config, { id, title: FOUND_TITLE, comment });
  const file = join(input.outDir, `${id}.yaml`);
  await writeOutputFile(optionWords('--out', input.outDir), file, final.text).catch((err: unknown) => {
    // The shrunk scenario is the result of the whole search: shown when it cannot be kept.
    a.say(`the minimal scenario, not written to ${file}:\n${final.text}`);
    throw err;
  });
  return {
    caseIndex: a.index,
    verdict: last.result.verdict,
    requirements: [...new Set(last.result.findings.map((f) => f.requirement))],
    summary: summarize(last.result),
    file,
    steps: final.steps,
    messages: final.messages,
    operations: final.operations.length,
    generatedOperations: a.rendered.operations.length,
    shrinkRuns: shrunk.runs,
    shrinkExhausted: shrunk.exhausted,
    reproduced,
    confirmRuns,
    foundAfterMs: a.foundAfterMs,
    replay,
    ...(fellBack !== undefined ? { asFound: fellBack } : {}),
  };
}

/** `generated` with these frame rules (none: no proxy at all). */
function withFaults(generated: GeneratedCase, faults: readonly FrameFault[]): GeneratedCase {
  const { faults: _drawn, ...rest } = generated;
  return faults.length > 0 ? { ...rest, faults: [...faults] } : rest;
}
