/**
 * `imspec explore`: parse options, call explore(), say what was found and how to replay it.
 * Exit 1 on a finding, 0 when the budget ended with none, 2 on usage and configuration errors.
 */

import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadDriver } from '../../drivers/load.js';
import { explore, loadExploreConfig } from '../../explore/index.js';
import { checkOutputDir } from '../../output-paths.js';
import { checkDriverTarget } from '../../preflight/index.js';
import { createReporters } from '../../report/reporters.js';
import { RUN_DEFAULTS, resolveRunOptions } from '../../runner/options.js';
import { formatDuration } from '../../scenarios/duration.js';
import { handleInterrupts } from '../interrupt.js';
import { collect, reportOption } from '../lists.js';
import { parseDurationOption, parseSeed } from '../option-values.js';

/** Where minimal failing scenarios go unless --out says otherwise. */
const DEFAULT_OUT = 'reports/explore';

export function registerExplore(program: Command): void {
  program
    .command('explore')
    .summary('search random workloads for a failing one and shrink it to a scenario')
    .description(
      'Generate random workloads from the delivery model, run each against a target with the full\n' +
        'checker until the budget ends, and shrink the first failing one to a small scenario you can\n' +
        'replay with `imspec run`. Finds what no hand-written case targets.',
    )
    .option('--budget <duration>', 'stop starting new cases after this long, e.g. 60s, 5m', '60s')
    .option('--seed <n>', 'seed of the whole schedule: the same seed generates the same cases', parseSeed)
    .option('--config <file>', 'explore.yaml: weights of the operations and ranges of their parameters')
    .option('--out <dir>', 'where the minimal failing scenario is written', DEFAULT_OUT)
    .option('--target <url>', 'server to explore (default: the embedded reference server, fresh per case)')
    .option('--target-cmd <command>', 'shell command that starts the target at --target (enables kill -9)')
    .option(
      '--driver <driver>',
      'wire protocol driver: ran | mqtt | xmpp, or a driver file/package',
      RUN_DEFAULTS.driver,
    )
    .option(
      '--server-fault <name>',
      'turn on a deliberate defect in the embedded server (repeatable; see `imspec serve --help`)',
      collect,
      [],
    )
    .option('--hmac-secret <secret>', 'secret the target derives tokens from (env IMSPEC_HMAC_SECRET)')
    .addOption(reportOption())
    .addHelpText(
      'after',
      `
How it works: each case is a random schedule — users with one or more devices (multi-device
targets), sends of 1 byte up to the server's advertised body limit, ASCII or unicode, one sender to
one receiver, several senders to one (fan-in) or one to several (fan-out), cmids that coincide
across senders, devices that connect (keeping, forgetting or not sending their state), disconnect,
crash or stay offline for seconds, delayed and withheld acks, paging with any limit, and kill -9
of the server when explore starts it. Operations the target cannot do (by its caps, or kill on a
server explore did not start) are never drawn. Every case ends with every device back, well-
behaved, and settled; the checker, always-on rules included, judges its history.

On the first FAIL, the schedule is shrunk (delta debugging over the operations, then smaller
counts, bodies and delays) to a small scenario that still fails for the same requirement, written
to --out as YAML, with the command that replays it. Same seed, same schedule.

Config (all keys optional; see docs/explore.md):
  users: { min: 2, max: 4 }         devices: { min: 1, max: 2 }      operations: { min: 3, max: 10 }
  weights: { send: 6, fanIn: 2, fanOut: 1, connect: 2, disconnect: 1, crash: 0.5, offline: 2,
             delayAcks: 1, withholdAcks: 0.5, page: 1, kill: 0.3 }
  send: { count: { min: 1, max: 10 }, burstCount: { min: 100, max: 400 }, burst: 0.1,
          unicode: 0.3, large: 0.25, sharedCmids: 0.3 }
  offline: { min: 500ms, max: 4s }  ackDelay: { min: 200ms, max: 3s }  pageLimit: { min: 1, max: 500 }
  caseTimeout: 30s   shrink: { maxRuns: 40, maxTime: 90s }   findOn: [FAIL]   # or [FAIL, WARN]

--report html=PATH (or json=, junit=) writes the report of the shrunk scenario's last replay: the
finding with its frames and sequence diagram. Nothing is written when nothing was found.

Exit codes: 0 no finding within the budget; 1 a finding (scenario written); 2 usage or config error.

Examples:
  imspec explore --budget 60s --seed 1                       # the embedded reference server
  imspec explore --budget 30s --seed 7 --server-fault bmp-only   # prove explore finds a defect
  imspec explore --target ws://127.0.0.1:7400 --hmac-secret s3cret --budget 5m --config explore.yaml
  imspec run reports/explore/explore-7-0.yaml --seed 7 --server-fault bmp-only   # replay a finding`,
    )
    .action(async (opts: ExploreCliOptions) => {
      const budgetMs = parseDurationOption('--budget', opts.budget);
      // Before the search: a finding that cannot be written would be shrunk and then lost.
      checkOutputDir('--out', opts.out);
      createReporters(opts.report);
      const config = loadExploreConfig(opts.config);
      // The run options' own checks (a --server-fault name, --target-cmd without --target), once.
      const run = resolveRunOptions({
        driver: opts.driver,
        serverFaults: opts.serverFault,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        ...(opts.targetCmd !== undefined ? { targetCmd: opts.targetCmd } : {}),
        ...(opts.hmacSecret !== undefined ? { hmacSecret: opts.hmacSecret } : {}),
      });
      const driver = await loadDriver(opts.driver);
      checkDriverTarget(opts.target, driver.name);
      const interrupts = handleInterrupts('imspec explore');
      const say = (line: string) => process.stderr.write(`imspec explore: ${line}\n`);
      say(`seed ${run.seed}, budget ${formatDuration(budgetMs)}${describeTarget(opts)}`);
      const result = await explore({
        driver: opts.driver,
        loadedDriver: driver,
        serverFaults: opts.serverFault,
        budgetMs,
        seed: run.seed,
        config,
        outDir: opts.out,
        reports: opts.report,
        progress: say,
        signal: interrupts.signal,
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        ...(opts.targetCmd !== undefined ? { targetCmd: opts.targetCmd } : {}),
        ...(opts.hmacSecret !== undefined ? { hmacSecret: opts.hmacSecret } : {}),
      })
        .catch(interrupts.exitIfInterrupted)
        .finally(() => interrupts.dispose());
      const interrupted = interrupts.exitCode();
      if (interrupted !== undefined) process.exit(interrupted);
      const tally = Object.entries(result.verdicts)
        .map(([v, n]) => `${n} ${v}`)
        .join(', ');
      const f = result.finding;
      if (!f) {
        process.stdout.write(
          `No finding: ${result.cases} cases in ${(result.elapsedMs / 1000).toFixed(1)} s (${tally || 'none run'}), seed ${result.seed}.\n${unfinishedLine(result.unfinished)}`,
        );
        process.exitCode = 0;
        return;
      }
      process.stdout.write(
        [
          `Finding after ${(f.foundAfterMs / 1000).toFixed(1)} s (case ${f.caseIndex} of seed ${result.seed}): ${f.summary}`,
          f.asFound === undefined
            ? `Minimal scenario: ${f.file} — ${f.operations} operations, ${f.steps} steps, ${f.messages} messages (from ${f.generatedOperations} operations, ${f.shrinkRuns} shrink runs${f.shrinkExhausted ? ', budget spent: not proved minimal' : ''})`
            : `Scenario: ${f.file} — ${f.operations} operations, ${f.steps} steps, ${f.messages} messages, not shrunk (${f.asFound})`,
          `Reproduced: ${f.reproduced} of ${f.confirmRuns} replays${f.reproduced < f.confirmRuns ? ' (timing-dependent: replay it a few times)' : ''}`,
          `Replay: ${f.replay}`,
          ...(result.unfinished.length > 0 ? [unfinishedLine(result.unfinished).trimEnd()] : []),
          '',
        ].join('\n'),
      );
      process.exitCode = 1;
    });
}

interface ExploreCliOptions {
  budget: string;
  seed?: number;
  config?: string;
  out: string;
  target?: string;
  targetCmd?: string;
  driver: string;
  serverFault: string[];
  hmacSecret?: string;
  report: string[];
}

function describeTarget(opts: ExploreCliOptions): string {
  if (opts.target) return `, target ${opts.target}`;
  return opts.serverFault.length
    ? `, embedded server with --server-fault ${opts.serverFault.join(', ')}`
    : ', embedded reference server';
}

/** Where the cases the kit could not finish were kept (empty when there were none). */
function unfinishedLine(files: readonly string[]): string {
  if (files.length === 0) return '';
  const dir = dirname(files[0]!);
  return `${files.length} case(s) the kit could not finish (ERROR/INCONCLUSIVE, not findings) kept in ${dir}/ to replay.\n`;
}
