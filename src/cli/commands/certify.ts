/**
 * `imspec certify`: parse options, call certify(), say where the document (and the draft) went,
 * exit with the run's code.
 */

import type { Command } from 'commander';
import {
  CERTIFY_DEFAULTS,
  CERTIFY_SUITES,
  type CertifyOptions,
  certify,
  UNREVIEWED,
} from '../../certify/index.js';
import { UsageError } from '../../errors.js';
import { checkOutputDir, checkOutputFile } from '../../output-paths.js';
import { createReporters, REPORTER_NAMES } from '../../report/index.js';
import { shellWord } from '../../runner/case-replay.js';
import { formatDuration } from '../../scenarios/duration.js';
import { collect, collectList, selectionList } from '../lists.js';
import { parseDurationOption, parseSeed } from '../option-values.js';

export function registerCertify(program: Command): void {
  defineCertifyOptions(program.command('certify')).action(async (opts: CertifyCliOptions) => {
    // The page of `--report html=PATH` names the certify command that made it.
    const command = ['imspec', ...process.argv.slice(2)].map(shellWord).join(' ');
    const reporters = createReporters(opts.report ?? ['console'], process.stdout, {
      command,
      kind: 'certify',
    });
    // Before the server starts: a document or draft that cannot be written must not cost the run.
    checkOutputDir('--out', opts.out);
    if (opts.draftExpectations !== undefined) checkOutputFile('--draft-expectations', opts.draftExpectations);
    const result = await certify(certifyInput(opts), { reporters });
    process.stderr.write(`imspec certify: wrote ${result.file}\n`);
    if (result.draft) {
      const { draft, file } = result.draft;
      process.stderr.write(
        `imspec certify: drafted ${draft.entries.length} expected failure${draft.entries.length === 1 ? '' : 's'} into ${file}: ` +
          `rewrite every ${UNREVIEWED} reason with why the server deviates before using it\n`,
      );
      for (const s of draft.skipped) process.stderr.write(`  not drafted: ${s.id} (${s.why})\n`);
      if (draft.dropped.length) {
        process.stderr.write(`  dropped (no longer deviating): ${draft.dropped.join(', ')}\n`);
      }
    }
    process.exitCode = result.run.exitCode;
  });
}

/**
 * The options of `imspec certify` on `command` (scripts/certify.ts parses its invocations with
 * the same definition, so the published certifications go through the command's own options).
 */
export function defineCertifyOptions(command: Command): Command {
  return command
    .summary('certify a server: run the suites through its driver and write the certification document')
    .description(
      'Certify a server: start it with --target-cmd, run the suites through its driver, and write the ' +
        'certification document (every verdict with its reason, the exact command, the server config, ' +
        'the readings), as the published docs/certifications/*.md are made. Guide: docs/certify.md.',
    )
    .requiredOption(
      '--driver <driver>',
      'driver that speaks the server protocol: mqtt | xmpp | ran, a driver file (./my-driver.js) or an installed driver package',
    )
    .requiredOption(
      '--target <url>',
      "where the server listens, with the driver's parameters (docs/drivers.md)",
    )
    .requiredOption(
      '--target-cmd <command>',
      'shell command that starts the server in the foreground at --target, keeping its data between starts (exec …)',
    )
    .option('--name <name>', 'the server and its version, as the title and file name, e.g. "Mosquitto 2.0"')
    .option('--config <file>', 'a server config file to show in the document (repeatable)', collect)
    .option('--version-cmd <command>', "shell command printing the server's version, shown in the title")
    .option(
      '--suites <paths>',
      `suites to run, comma-separated (default ${CERTIFY_SUITES.join(',')})`,
      collectList,
    )
    .option('--only <ids>', 'run only these case ids (comma-separated, * globs)', selectionList('--only'))
    .option('--expect-failures <file>', 'known deviations: they become XFAIL; a fixed one fails as stale')
    .option(
      '--draft-expectations <file>',
      `write an expected-failures file drafted from this run (reasons marked ${UNREVIEWED}, for you to review)`,
    )
    .option('--readings <file>', 'readings to put under each case (docs/certifications/readings.yaml form)')
    .option(
      '--start-timeout <duration>',
      `how long a start of the server may take until --target accepts connections (default ${formatDuration(CERTIFY_DEFAULTS.startTimeoutMs)})`,
    )
    .option(
      '--provision-cmd <command>',
      'shell command creating one account (env IMSPEC_USER, IMSPEC_PASSWORD)',
    )
    .option('--log <file>', 'the server log file, for --log-count')
    .option(
      '--log-count <label=regex>',
      'count the log lines matching regex, shown as label (repeatable)',
      collect,
    )
    .option('--timeout <duration>', "per-case deadline (default: each scenario's timeout)")
    .option('--seed <n>', 'seed for every random choice (recorded in the document)', parseSeed)
    .option('--hmac-secret <secret>', 'secret the users’ passwords derive from (env IMSPEC_HMAC_SECRET)')
    .option('--out <dir>', 'where the document is written', CERTIFY_DEFAULTS.outDir)
    .option(
      '--report <spec>',
      `reporters of the run beside the document: ${REPORTER_NAMES.join(', ')} (json=PATH, junit=PATH, html=PATH; repeatable; default console)`,
      collect,
    )
    .addHelpText(
      'after',
      `
The document is <out>/<name as a slug>.md. Exit codes as imspec run: 0 when every MUST case
passed or is an expected failure, 1 on a conformance failure or a stale expected failure, 2 on
usage or configuration errors.

Examples:
  export IMSPEC_HMAC_SECRET=$(openssl rand -hex 16)
  imspec certify --name 'Mosquitto 2.0' --driver mqtt --target mqtt://127.0.0.1:18830 \\
      --target-cmd 'exec scripts/targets/mosquitto.sh 18830 /tmp/mq' --config /tmp/mq/mosquitto.conf \\
      --expect-failures suites/expected/mosquitto-2.0.json --readings docs/certifications/readings.yaml
  # a server the kit has not met: draft the expected failures, then review every reason
  imspec certify --name 'MyServer 1.2' --driver xmpp --target 'xmpp://127.0.0.1:15222?register=1' \\
      --target-cmd 'exec ./my-server.sh 15222 /tmp/my' --start-timeout 60s \\
      --draft-expectations my-server.expected.json`,
    );
}

/** The command's parsed options as certify() input. */
export function certifyInput(opts: CertifyCliOptions): Partial<CertifyOptions> {
  return {
    driver: opts.driver,
    target: opts.target,
    targetCmd: opts.targetCmd,
    configFiles: opts.config ?? [],
    suites: opts.suites ?? [],
    only: opts.only ?? [],
    logCounts: parseLogCounts(opts.logCount ?? []),
    outDir: opts.out,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.versionCmd !== undefined ? { versionCmd: opts.versionCmd } : {}),
    ...(opts.expectFailures !== undefined ? { expectFailures: opts.expectFailures } : {}),
    ...(opts.draftExpectations !== undefined ? { draftExpectations: opts.draftExpectations } : {}),
    ...(opts.readings !== undefined ? { readings: opts.readings } : {}),
    ...(opts.startTimeout !== undefined
      ? { startTimeoutMs: parseDurationOption('--start-timeout', opts.startTimeout) }
      : {}),
    ...(opts.provisionCmd !== undefined ? { provisionCmd: opts.provisionCmd } : {}),
    ...(opts.log !== undefined ? { logFile: opts.log } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: parseDurationOption('--timeout', opts.timeout) } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.hmacSecret !== undefined ? { hmacSecret: opts.hmacSecret } : {}),
  };
}

export interface CertifyCliOptions {
  driver: string;
  target: string;
  targetCmd: string;
  name?: string;
  config?: string[];
  versionCmd?: string;
  suites?: string[];
  only?: string[];
  expectFailures?: string;
  draftExpectations?: string;
  readings?: string;
  startTimeout?: string;
  provisionCmd?: string;
  log?: string;
  logCount?: string[];
  timeout?: string;
  seed?: number;
  hmacSecret?: string;
  out: string;
  report?: string[];
}

function parseLogCounts(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw new UsageError(`--log-count takes LABEL=REGEX, got "${spec}"`);
    }
    out[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  return out;
}
