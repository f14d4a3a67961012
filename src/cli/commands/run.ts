/**
 * `imspec run`: parse options, call runSuites, exit with the run's code.
 */

import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { captureWriter } from '../../capture/writer.js';
import { loadDriver } from '../../drivers/load.js';
import { UsageError } from '../../errors.js';
import {
  awaitScrape,
  createMetrics,
  labelTarget,
  lingerAndClose,
  METRICS_LINGER_DEFAULT_MS,
  pushAfterVerdict,
  pushToGateway,
  runMetrics,
  startMetricsServer,
  targetLabel,
} from '../../metrics/index.js';
import { checkOutputDir } from '../../output-paths.js';
import { checkDriverTarget } from '../../preflight/index.js';
import { commandReporters } from '../../report/index.js';
import { shellWord } from '../../runner/case-replay.js';
import { FAULT_RUN_DEFAULTS } from '../../runner/faults-setup.js';
import { RUN_DEFAULTS } from '../../runner/options.js';
import { defaultSuitePaths } from '../../runner/paths.js';
import { runSuites } from '../../runner/run.js';
import { formatDuration } from '../../scenarios/duration.js';
import { handleInterrupts } from '../interrupt.js';
import { collect, reportOption, selectionList } from '../lists.js';
import {
  metricsPortOption,
  parseDurationOption,
  parseSeed,
  positiveInt,
  pushgatewayOption,
  seedParser,
} from '../option-values.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .summary('run scenarios against a server and judge each case: exactly once, every rule kept')
    .description(
      'Run scenarios against a target and decide, per case, whether every message was delivered exactly once.\n' +
        'With no --target, the kit runs the reference server (`imspec serve`) as a child process: one for the\n' +
        'run (users kept apart per case), and a fresh one for each case that kills or restarts it or has\n' +
        'proxy faults. It runs with a 1 s re-push interval and hello timeout, advertised in hello:A.',
    )
    .argument(
      '[paths...]',
      `scenario files or directories (default: ${RUN_DEFAULTS.paths.join(' ')}, the kit's own when this directory has none)`,
    )
    .option('--target <url>', 'server to test, e.g. ws://127.0.0.1:7400 (default: embedded reference server)')
    .option(
      '--target-name <name>',
      'the `target` label on every metric (default: host:port of --target, or "embedded")',
    )
    .option(
      '--target-cmd <command>',
      'shell command that starts the target at --target; the kit kills and restarts it for crash cases',
    )
    .option(
      '--start-timeout <duration>',
      `how long --target-cmd may take to start (and restart) until --target accepts connections (default ${formatDuration(RUN_DEFAULTS.startTimeoutMs)})`,
    )
    .option(
      '--provision-cmd <command>',
      'shell command that creates one account (env IMSPEC_USER, IMSPEC_PASSWORD, IMSPEC_TARGET); run for each user of a case, one after another, before its timeline',
    )
    .option(
      '--driver <driver>',
      'wire protocol driver: ran | mqtt | xmpp, a driver file (./my-driver.js) or an installed driver package (docs/drivers.md)',
      'ran',
    )
    .option(
      '--only <ids>',
      'run only these case ids (comma-separated, * globs, repeatable)',
      selectionList('--only'),
      [],
    )
    .option('--seed <n>', 'seed for every random choice (printed in the report; replays a run)', parseSeed)
    .option('--timeout <duration>', "per-case deadline, e.g. 20s (default: each scenario's timeout)")
    .option(
      '--server-fault <name>',
      'turn on a deliberate defect in the embedded server (repeatable; see `imspec serve --help`)',
      collect,
      [],
    )
    .option('--server-arg <arg>', 'extra argument for the embedded `imspec serve` (repeatable)', collect, [])
    .option('--hmac-secret <secret>', 'secret the target derives tokens from (env IMSPEC_HMAC_SECRET)')
    .addOption(reportOption())
    .option('-q, --quiet', 'no console summary (files named with --report are still written)')
    .option(
      '--expect-failures <file>',
      'known failures: they become XFAIL; an exemption that now passes fails',
    )
    .option('--repeat <n>', 'run each case n times; mixed outcomes are FLAKY', positiveInt('--repeat'), 1)
    .option(
      '--raw-window <frames>',
      'keep the wire text of only the newest N valid frames of each case (memory for long cases; verdicts are the same, reports draw older frames from their fields)',
      parseRawWindow,
    )
    .option('--strict', 'INCONCLUSIVE cases (a precondition did not hold) fail the run (exit 1)', false)
    .option(
      '--case-seed <n>',
      'use this seed for the case instead of the one derived from --seed (replays one run exactly; needs --only selecting one case)',
      seedParser('--case-seed'),
    )
    .option('--no-minimize', 'do not cut a failing probabilistic fault case down to its fewest faults')
    .option(
      '--minimize-dir <dir>',
      'where minimised fault scenarios are written',
      FAULT_RUN_DEFAULTS.minimizeDir,
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on this port while running (0 = any free port)',
      metricsPortOption,
    )
    .option('--metrics-host <host>', 'address for --metrics-port', '127.0.0.1')
    .option(
      '--metrics-linger <duration>',
      `with --metrics-port, wait for a scrape before the first case (so every series is seen at 0 and increase() counts the whole run) and after the last (so its final values are seen), each at most this long (0 = no waits; default ${formatDuration(METRICS_LINGER_DEFAULT_MS)})`,
    )
    .option(
      '--capture <dir>',
      "write each case's traffic to <dir>/<case>.jsonl in the capture format, for `imspec check` (docs/capture.md)",
    )
    .option(
      '--pushgateway <url>',
      'push the final metrics to this Prometheus Pushgateway, to the group /metrics/job/imspec/run_id/<run id> (docs/observability.md)',
      pushgatewayOption,
    )
    .addHelpText(
      'after',
      `
Verdicts: PASS, FAIL (a MUST broken), WARN (a SHOULD broken), INFO, UNSUPPORTED (capability not
claimed), INCONCLUSIVE (a precondition of the case did not hold), ERROR (the kit could not run
the case, or ran out of its own time), FLAKY (--repeat), XFAIL (expected failure).
Exit codes: 0 every MUST case passed; 1 a conformance failure or an ERROR (INCONCLUSIVE too with
--strict); 2 usage or configuration error. A failed --pushgateway push is printed and keeps the
verdict's code; it exits 2 only when the verdict was 0.

Examples:
  imspec run                                   # core suite, embedded reference server
  imspec run suites/core --server-fault no-dedup   # prove the suite catches a broken server
  imspec run suites/core --target ws://127.0.0.1:7400 --hmac-secret s3cret
  imspec run suites/core --target ws://127.0.0.1:7401 --hmac-secret s \\
      --target-cmd 'exec imspec serve --port 7401 --db /tmp/t.db --hmac-secret s'
  imspec run --only 'dedup-*' --report junit=reports/junit.xml --report json=reports/run.json
  imspec run --metrics-port 9464 --pushgateway http://127.0.0.1:9091   # see docs/observability.md
  imspec run suites/faults --repeat 5          # fault cases; FLAKY ones list a replay per failing seed
  imspec run suites/core --driver ./my-driver.js --target tcp://127.0.0.1:7500   # your own protocol
  imspec run suites/faults/random-loss-5pct.yaml --only random-loss-5pct --case-seed 123   # one run, exactly`,
    )
    .action(async (paths: string[], opts: RunCliOptions, cmd: Command) => {
      const command = ['imspec', ...process.argv.slice(2)].map(shellWord).join(' ');
      const reporters = commandReporters(opts.report, opts.quiet, process.stdout, {
        command,
      });
      // Output directories too are checked before any work (--report files were, just above).
      // Not the default --minimize-dir: most runs never write it, and they must still run from a
      // read-only directory (a write that fails later is reported after the verdicts).
      if (opts.minimize && cmd.getOptionValueSource('minimizeDir') !== 'default')
        checkOutputDir('--minimize-dir', opts.minimizeDir);
      if (opts.capture !== undefined) checkOutputDir('--capture', opts.capture);
      const lingerMs =
        opts.metricsLinger === undefined
          ? METRICS_LINGER_DEFAULT_MS
          : parseDurationOption('--metrics-linger', opts.metricsLinger, true);
      const target = targetLabel(opts.target, opts.targetName);
      // A driver file or package is loaded and checked before anything starts.
      const driver = await loadDriver(opts.driver);
      checkDriverTarget(opts.target, driver.name);
      // Metrics are fed by each case's history events and results, never by calls in the runner.
      const registry = new Registry();
      labelTarget(registry, target);
      const wiring = runMetrics(createMetrics(registry), driver.name);
      const server =
        opts.metricsPort === undefined
          ? undefined
          : await startMetricsServer({ registry, host: opts.metricsHost, port: opts.metricsPort });
      if (server) process.stderr.write(`imspec run: metrics on ${server.url}/metrics\n`);
      const say = (line: string): void => void process.stderr.write(`imspec run: ${line}\n`);
      const capture = opts.capture === undefined ? undefined : captureWriter(opts.capture);
      const interrupts = handleInterrupts('imspec run');
      const run = await runSuites(
        {
          paths: paths.length > 0 ? paths : defaultSuitePaths(RUN_DEFAULTS.paths),
          driver: opts.driver,
          loadedDriver: driver,
          only: opts.only,
          serverFaults: opts.serverFault,
          serverArgs: opts.serverArg,
          reports: opts.report,
          repeat: opts.repeat,
          strict: opts.strict,
          minimize: opts.minimize,
          minimizeDir: opts.minimizeDir,
          ...(opts.caseSeed !== undefined ? { caseSeed: opts.caseSeed } : {}),
          ...(opts.target !== undefined ? { target: opts.target } : {}),
          ...(opts.targetCmd !== undefined ? { targetCmd: opts.targetCmd } : {}),
          ...(opts.startTimeout !== undefined
            ? { startTimeoutMs: parseDurationOption('--start-timeout', opts.startTimeout) }
            : {}),
          ...(opts.provisionCmd !== undefined ? { provisionCmd: opts.provisionCmd } : {}),
          ...(opts.rawWindow !== undefined ? { rawWindow: opts.rawWindow } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.timeout !== undefined
            ? { timeoutMs: parseDurationOption('--timeout', opts.timeout) }
            : {}),
          ...(opts.hmacSecret !== undefined ? { hmacSecret: opts.hmacSecret } : {}),
          ...(opts.expectFailures !== undefined ? { expectFailures: opts.expectFailures } : {}),
        },
        {
          reporters: [...reporters, wiring.reporter, ...(capture ? [capture.reporter] : [])],
          signal: interrupts.signal,
          onPlan: async (scenarios) => {
            wiring.plan(scenarios);
            // Ctrl-C during the wait ends it at once; the runner then sees the abort.
            if (server) await awaitScrape(server, lingerMs, 'first', say, interrupts.signal);
          },
          onHistory: (history, scenario) => {
            wiring.onHistory(history, scenario);
            capture?.onHistory(history, scenario);
          },
        },
      )
        .catch(async (err: unknown) => {
          await server?.close();
          throw err;
        })
        .catch(interrupts.exitIfInterrupted)
        .finally(() => interrupts.dispose());
      const interrupted = interrupts.exitCode();
      if (interrupted !== undefined) {
        await server?.close();
        // The case that was abandoned may still hold timers and sockets: exit once output is out.
        await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
        process.exit(interrupted);
      }
      const { pushgateway } = opts;
      const exitCode =
        pushgateway === undefined
          ? run.exitCode
          : await pushAfterVerdict(
              run.exitCode,
              () =>
                pushToGateway({ url: pushgateway, registry, job: PUSH_JOB, grouping: { run_id: run.runId } }),
              say,
            ).catch(async (err: unknown) => {
              await server?.close();
              throw err;
            });
      if (server) await lingerAndClose(server, lingerMs, say);
      process.exitCode = exitCode;
    });
}

interface RunCliOptions {
  quiet?: boolean;
  target?: string;
  targetName?: string;
  targetCmd?: string;
  startTimeout?: string;
  provisionCmd?: string;
  rawWindow?: number;
  driver: string;
  only: string[];
  seed?: number;
  timeout?: string;
  serverFault: string[];
  serverArg: string[];
  hmacSecret?: string;
  report: string[];
  expectFailures?: string;
  repeat: number;
  strict: boolean;
  caseSeed?: number;
  minimize: boolean;
  minimizeDir: string;
  metricsPort?: number;
  metricsHost: string;
  metricsLinger?: string;
  pushgateway?: string;
  capture?: string;
}

function parseRawWindow(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--raw-window must be a whole number of frames (0 or more), got "${value}"`);
  }
  return n;
}

/** The Pushgateway `job` of `imspec run --pushgateway` (docs/observability.md names the group). */
export const PUSH_JOB = 'imspec';
