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
import type { LoadedDriver } from '../drivers/load.js';
import { loadDriver } from '../drivers/load.js';
import type { CaseResult } from '../report/index.js';
import { createReporters } from '../report/reporters.js';
import { shellWord } from '../runner/case-replay.js';
import { type RunInput, runSuites } from '../runner/run.js';
import type { ExploreConfig } from './config.js';
import { type GeneratedCase, generateCase } from './generate.js';
import type { FrameFault, Operation } from './operations.js';
import { renderCase } from './render.js';
import { shrinkFrameFaults, shrinkOperations } from './shrink.js';
import { learnTarget } from './target.js';

export interface ExploreInput {
  /** Target URL; absent → the embedded reference server, fresh per case. */
  target?: string;
  /** Shell command that starts the target (lets explore kill -9 and restart it). */
  targetCmd?: string;
  /** @default 'ran' */
  driver?: string;
  loadedDriver?: LoadedDriver;
  /** Deliberate defects of the embedded server. @default [] */
  serverFaults?: string[];
  hmacSecret?: string;
  /** Stop starting new cases after this long, ms. */
  budgetMs: number;
  seed: number;
  config: Readonly<ExploreConfig>;
  /** Where the minimal failing scenario is written. */
  outDir: string;
  /**
   * Reporter specs (`html=PATH`, `json=PATH`, `junit=PATH`) for the last replay of the shrunk
   * scenario: the finding's report, with its frames. Nothing is written when nothing was found.
   */
  reports?: string[];
  /**
   * Replays of the shrunk scenario before it is written (a timing-dependent defect fails only
   * some). @default 2
   */
  confirmRuns?: number;
  /** One line per event worth telling (stderr in the CLI). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ExploreFinding {
  /** The generated case that failed first. */
  caseIndex: number;
  verdict: string;
  /** Requirement ids of the failure (of the shrunk case). */
  requirements: string[];
  /** The first finding of the shrunk case, in one line. */
  summary: string;
  /** The written scenario and how big it is. */
  file: string;
  steps: number;
  messages: number;
  operations: number;
  /** Operations of the case as generated. */
  generatedOperations: number;
  shrinkRuns: number;
  /** The shrink budget ran out first: small, not proved minimal. */
  shrinkExhausted: boolean;
  /**
   * Of CONFIRM_RUNS replays of the written scenario, how many failed the same way. Below all of
   * them the defect depends on timing: the file is a reproducer, not a certain one.
   */
  reproduced: number;
  confirmRuns: number;
  /** From the start of exploring to the end of the failing case's run, ms. */
  foundAfterMs: number;
  replay: string;
}

export interface ExploreResult {
  seed: number;
  cases: number;
  /** Cases per verdict (PASS, ERROR, INCONCLUSIVE, …), the failing one included. */
  verdicts: Record<string, number>;
  elapsedMs: number;
  finding?: ExploreFinding;
  /**
   * Scenarios of the cases the kit could not finish (ERROR, INCONCLUSIVE), kept under
   * `<outDir>/unfinished/` so a kit limit can be replayed and looked at, never silently dropped.
   */
  unfinished: string[];
}

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
  const runCase = async (id: string, generated: GeneratedCase, comment: string[], reports: string[] = []) => {
    const rendered = renderCase(generated, input.config, { id, title: TITLE, comment });
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

/** Replays of the shrunk scenario before it is written, unless the input says otherwise. */
const CONFIRM_RUNS = 2;

const TITLE = 'A generated workload that breaks a rule (found and shrunk by imspec explore)';

interface ShrinkArgs {
  input: ExploreInput;
  id: string;
  index: number;
  generated: GeneratedCase;
  rendered: { operations: Operation[] };
  result: CaseResult;
  runCase: (
    id: string,
    generated: GeneratedCase,
    comment: string[],
    reports?: string[],
  ) => Promise<{ result: CaseResult; rendered: ReturnType<typeof renderCase> } | undefined>;
  foundAfterMs: number;
  say: (line: string) => void;
}

async function shrinkFinding(a: ShrinkArgs): Promise<ExploreFinding> {
  const { input, id } = a;
  const wanted = new Set(a.result.findings.map((f) => f.requirement));
  let last = { result: a.result, operations: a.rendered.operations };
  const budget = {
    maxRuns: input.config.shrink.maxRuns,
    deadline: performance.now() + input.config.shrink.maxMs,
  };
  /** Runs a candidate: true when it fails the same way, undefined when there was nothing to run. */
  const stillFails = async (candidate: GeneratedCase) => {
    const ran = await a.runCase(id, candidate, []);
    if (ran === undefined) return undefined;
    const same =
      isFinding(ran.result, input.config) && ran.result.findings.some((f) => wanted.has(f.requirement));
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
  let generated: GeneratedCase = { ...a.generated, operations: a.rendered.operations };
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
  // Replays of the smallest schedule: a timing-dependent defect fails only some of them, and
  // shrinking may have kept a cut that failed by chance; the file and the output say how often.
  let reproduced = 0;
  const confirmRuns = input.confirmRuns ?? CONFIRM_RUNS;
  for (let i = 0; i < confirmRuns && !input.signal?.aborted; i++) {
    const lastReplay = i === confirmRuns - 1;
    const ran = await a.runCase(id, generated, [], lastReplay ? (input.reports ?? []) : []);
    if (
      ran &&
      isFinding(ran.result, input.config) &&
      ran.result.findings.some((f) => wanted.has(f.requirement))
    )
      reproduced++;
  }
  a.say(`  confirm: the shrunk case failed ${reproduced} of ${confirmRuns} replays`);
  const replay = replayCommand(join(input.outDir, `${id}.yaml`), input);
  const comment = [
    `Found by imspec explore --seed ${input.seed} (case ${a.index}) after ${seconds(a.foundAfterMs)}:`,
    `  ${summarize(last.result)}`,
    `Shrunk from ${a.rendered.operations.length} to ${shrunk.operations.length} operations in ${shrunk.runs} runs${shrunk.exhausted ? ' (budget spent: small, not proved minimal)' : ''}.`,
    `It failed ${reproduced} of ${confirmRuns} replays${reproduced < confirmRuns ? ' (timing-dependent: replay it a few times)' : ''}.`,
    `Replay: ${replay}`,
  ];
  const final = renderCase(generated, input.config, {
    id,
    title: TITLE,
    comment,
  });
  mkdirSync(input.outDir, { recursive: true });
  const file = join(input.outDir, `${id}.yaml`);
  writeFileSync(file, final.text);
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
  };
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

/** `generated` with these frame rules (none: no proxy at all). */
function withFaults(generated: GeneratedCase, faults: readonly FrameFault[]): GeneratedCase {
  const { faults: _drawn, ...rest } = generated;
  return faults.length > 0 ? { ...rest, faults: [...faults] } : rest;
}

function isFinding(result: CaseResult, config: Readonly<ExploreConfig>): boolean {
  return (config.findOn as string[]).includes(result.verdict);
}

/** The first finding at the verdict's level, in one line. */
function summarize(result: CaseResult): string {
  const f = result.findings.find((x) =>
    result.verdict === 'WARN' ? x.level === 'SHOULD' : x.level === 'MUST',
  );
  const first = f ?? result.findings[0];
  if (!first) return `${result.verdict}: ${result.reason ?? 'no finding recorded'}`;
  return `${result.verdict} ${first.requirement}: expected ${first.expected}; actual ${first.actual}`;
}

/** The `imspec run` command that replays the written file: same seed, same target and faults. */
export function replayCommand(file: string, input: ExploreInput): string {
  const parts = ['imspec run', file, '--seed', String(input.seed)];
  const driver = input.loadedDriver?.spec ?? input.driver ?? 'ran';
  if (driver !== 'ran') parts.push('--driver', driver);
  if (input.target) parts.push('--target', input.target);
  if (input.targetCmd) parts.push('--target-cmd', input.targetCmd);
  for (const f of input.serverFaults ?? []) parts.push('--server-fault', f);
  return parts.map(shellWord).join(' ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
