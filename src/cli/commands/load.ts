/**
 * `imspec load`: parse options, call runLoad, report, exit with the thresholds' code.
 */

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { AggregatedRegistry } from '../../load/aggregate-registry.js';
import type { LoadProgress } from '../../load/hooks.js';
import { renderProgress } from '../../load/report/text.js';
import { runLoad } from '../../load/run-load.js';
import { parseShard, SHARD_INDEX_ENV } from '../../load/shard.js';
import {
  createMetrics,
  labelTarget,
  METRICS_LINGER_DEFAULT_MS,
  pushAfterVerdict,
  pushToGateway,
  startMetricsServer,
  targetLabel,
} from '../../metrics/index.js';
import { checkOutputFile } from '../../output-paths.js';
import { handleInterrupts } from '../interrupt.js';
import { collect } from '../lists.js';
import {
  countFromZero,
  metricsPortOption,
  parseDurationOption,
  parseSeed,
  positiveInt,
  pushgatewayOption,
} from '../option-values.js';
import { checkEmitFlags, type EmitCliOptions, emitManifests } from './load-emit.js';

interface LoadCliOptions {
  target?: string;
  targetName?: string;
  targetCmd?: string;
  driver: string;
  duration?: string;
  out?: string;
  seed?: number;
  serverFault: string[];
  serverArg: string[];
  hmacSecret?: string;
  report: string[];
  quiet?: boolean;
  workers?: number;
  servers?: number;
  sourceAddress: string[];
  metricsPort?: number;
  metricsHost: string;
  pushgateway?: string;
  shard?: string;
  emit?: string;
  shards?: number;
  image?: string;
  storageClass?: string;
  namespace?: string;
}

export function registerLoad(program: Command): void {
  program
    .command('load')
    .summary('put open-model load on a server under faults and judge thresholds message by message')
    .description(
      'Put open-model load on a target while injecting faults, decide message by message whether\n' +
        'every message was delivered exactly once (streaming ledger), and judge k6-style thresholds.\n' +
        'With no --target, the embedded reference server runs as a child process.',
    )
    .argument('<profile>', 'load profile (YAML; see profiles/ and docs/load.md)')
    .option('--target <url>', 'server to load, e.g. ws://127.0.0.1:7400 (default: embedded reference server)')
    .option(
      '--target-name <name>',
      'the `target` label on every metric (default: host:port of --target, or "embedded")',
    )
    .option(
      '--target-cmd <command>',
      'shell command that starts the target at --target (process faults need it)',
    )
    .option(
      '--driver <driver>',
      'wire protocol driver: ran | mqtt | xmpp, a driver file (./my-driver.js) or an installed driver package (docs/drivers.md)',
      'ran',
    )
    .option(
      '--duration <duration>',
      "override the executor's duration, e.g. 30s (a ramp's stages are scaled)",
    )
    .option('--out <file>', 'write the JSON summary here (schemas/load-result.schema.json)')
    .option(
      '--shard <i/N>',
      `run shard i of N (i from 0; auto/N reads ${SHARD_INDEX_ENV}, as a Kubernetes Indexed Job sets it): its own users and 1/N of the rate; needs --seed; imspec merge adds the --out files up`,
    )
    .option('--seed <n>', 'seed for every random choice (fault draws, recipients, offline phases)', parseSeed)
    .option(
      '--server-fault <name>',
      'deliberate defect of the embedded server (repeatable; imspec serve --help)',
      collect,
      [],
    )
    .option('--server-arg <arg>', 'extra argument for the embedded `imspec serve` (repeatable)', collect, [])
    .option('--hmac-secret <secret>', 'secret the target derives tokens from (env IMSPEC_HMAC_SECRET)')
    .option(
      '--report <spec>',
      'reporter: console, json=PATH, junit=PATH, html=PATH (repeatable)',
      collect,
      [],
    )
    .option('-q, --quiet', 'no progress and no console summary (files are still written)')
    .option(
      '--workers <n>',
      'worker processes (0: bots in this process; default: one per 16,000 connections)',
      countFromZero('--workers', 'runs the bots in this process'),
    )
    .option(
      '--servers <n>',
      'embedded reference servers (default: one per 15,000 connections)',
      positiveInt('--servers'),
    )
    .option(
      '--emit <kind>',
      'print deploy manifests instead of running: k8s (with --shards, --target; the pods take --duration, --seed, --driver, --workers, --quiet, --target-name, --pushgateway)',
    )
    .option(
      '--shards <n>',
      'with --emit k8s: pods of the Indexed Job, one shard each',
      positiveInt('--shards'),
    )
    .option(
      '--image <image>',
      'with --emit k8s: container image with imspec (built from the Dockerfile at the repository root)',
      'imspec:latest',
    )
    .option('--storage-class <name>', 'with --emit k8s: storage class of the ReadWriteMany results volume')
    .option('--namespace <name>', 'with --emit k8s: namespace of the objects')
    .option(
      '--source-address <ip>',
      'local address for bot sockets (repeatable; default 127.0.0.2… when needed)',
      collect,
      [],
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on this port while running (0 = any)',
      metricsPortOption,
    )
    .option('--metrics-host <host>', 'address for --metrics-port', '127.0.0.1')
    .option(
      '--pushgateway <url>',
      'push the final metrics to this Pushgateway (job imspec-load, grouped by run id)',
      pushgatewayOption,
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 every threshold held; 1 a threshold broke (or an abortOnFail one stopped the run);
2 usage or configuration error (a bad profile is reported at file:line:col), or the kit could
not apply the load (no sender or receiver could log in: ERROR, nothing judged); 130 Ctrl-C (143
SIGTERM): sends stop, what was sent drains and is judged, the reports say "interrupted" (a second
Ctrl-C exits at once). With --shard, 0 once
the shard ran to the end and wrote --out: imspec merge judges the thresholds on the whole.
A failed --pushgateway push is printed and keeps that code; it exits 2 only when the code was 0.

Examples:
  imspec load profiles/steady-5pct-loss.yaml
  imspec load profiles/steady-5pct-loss.yaml --server-fault no-dedup      # must fail: app duplicates
  imspec load profiles/ramp.yaml --duration 2m --out reports/load.json --report junit=reports/load.xml
  imspec load profile.yaml --target ws://10.0.0.5:7400 --hmac-secret s3cret --metrics-port 9464
  imspec load profile.yaml --target ws://10.0.0.5:7400 --seed 7 --shard 0/4 --out results/shard-0.json
  imspec merge results/                                                  # one verdict for all shards
  imspec load profile.yaml --emit k8s --shards 8 --target ws://im.example:7400 --image REGISTRY/imspec:0.1.0 > run.yaml`,
    )
    .action(async (profile: string, opts: LoadCliOptions, command: Command) => {
      checkEmitFlags(opts.emit !== undefined, (key) => command.getOptionValueSource(key) === 'cli');
      const durationMs =
        opts.duration === undefined ? undefined : parseDurationOption('--duration', opts.duration);
      if (opts.emit !== undefined) {
        process.stdout.write(
          emitManifests(profile, {
            ...opts,
            emit: opts.emit,
            ...(durationMs !== undefined ? { durationMs } : {}),
          } as EmitCliOptions),
        );
        return;
      }
      // Checked before anything starts (usage errors exit 2 at once).
      const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, process.env);
      if (shard && opts.out === undefined)
        throw new UsageError('--shard needs --out FILE: the shard result imspec merge reads');
      // --report files are checked by runLoad, before any target starts.
      if (opts.out !== undefined) checkOutputFile('--out', opts.out);
      const quiet = opts.quiet === true;
      const registry = new AggregatedRegistry();
      labelTarget(registry, targetLabel(opts.target, opts.targetName));
      const metrics = createMetrics(registry);
      const server =
        opts.metricsPort === undefined
          ? undefined
          : await startMetricsServer({ registry, host: opts.metricsHost, port: opts.metricsPort });
      if (server && !quiet) process.stderr.write(`imspec load: metrics on ${server.url}/metrics\n`);
      const progress = quiet ? undefined : progressPrinter();
      const interrupts = handleInterrupts('imspec load');
      const result = await runLoad(
        {
          profile,
          driver: opts.driver,
          serverFaults: opts.serverFault,
          serverArgs: opts.serverArg,
          ...(opts.report.length > 0 ? { reports: opts.report } : {}),
          quiet,
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          ...(opts.target !== undefined ? { target: opts.target } : {}),
          ...(opts.targetCmd !== undefined ? { targetCmd: opts.targetCmd } : {}),
          ...(durationMs !== undefined ? { durationMs } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(shard ? { shard } : {}),
          ...(opts.hmacSecret !== undefined ? { hmacSecret: opts.hmacSecret } : {}),
          ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
          ...(opts.servers !== undefined ? { servers: opts.servers } : {}),
          ...(opts.sourceAddress.length > 0 ? { sourceAddresses: opts.sourceAddress } : {}),
        },
        {
          metrics,
          workerMetrics: registry,
          signal: interrupts.signal,
          ...(progress
            ? {
                onConnecting: (c) =>
                  progress.status(
                    `connecting: ${c.connected.toLocaleString('en-US')}/${c.bots.toLocaleString('en-US')} bots logged in (${(c.ms / 1000).toFixed(0)} s)`,
                  ),
                onReady: (r) =>
                  progress.line(
                    `connected ${r.connected}/${r.bots} bots in ${(r.ms / 1000).toFixed(1)} s${r.workers > 1 ? ` over ${r.workers} workers` : ''}${r.failed ? ` (${r.failed} failed at first, retrying)` : ''}`,
                  ),
                onProgress: progress.update,
              }
            : {}),
        },
      )
        // Interrupted while a server started or bots logged in: nothing ran, nothing to report.
        .catch(interrupts.exitIfInterrupted)
        .finally(async () => {
          interrupts.dispose();
          progress?.end();
          if (!server) return;
          // The final values (the ledger's last verdicts and findings, bots gone) must be
          // scraped before /metrics goes, as a run's are (--metrics-linger): at most 15 s.
          if (!quiet)
            process.stderr.write(
              `imspec load: metrics: waiting for a final scrape of ${server.url}/metrics\n`,
            );
          await server.nextScrape(METRICS_LINGER_DEFAULT_MS);
          await server.close();
        });
      // A shard's thresholds are its part only: the verdict is imspec merge's. A shard that ran
      // to the end exits 0, so an Indexed Job neither fails nor retries it for a threshold
      // (k6-operator re-runs a whole test after thresholds fail, grafana/k6-operator#75).
      const verdict = interrupts.exitCode() ?? (shard ? 0 : result.exitCode);
      const { pushgateway } = opts;
      process.exitCode =
        pushgateway === undefined
          ? verdict
          : await pushAfterVerdict(
              verdict,
              () =>
                pushToGateway({
                  url: pushgateway,
                  registry,
                  job: 'imspec-load',
                  // Shards of one run push to groups of their own, labelled by index; the
                  // dashboards' queries sum over the label.
                  grouping: { run_id: result.runId, ...(shard ? { shard: String(shard.index) } : {}) },
                }),
              (line) => process.stderr.write(`imspec load: ${line}\n`),
            );
    });
}

/**
 * Live progress on stderr: one line rewritten in place on a terminal, a plain line every five
 * seconds otherwise (CI logs).
 */
function progressPrinter() {
  const tty = process.stderr.isTTY === true;
  let previous: LoadProgress | undefined;
  let lastPlain = 0;
  let lastStatus = Number.NEGATIVE_INFINITY;
  let open = false;
  return {
    line(text: string) {
      process.stderr.write(`${open ? '\r\x1b[K' : ''}imspec load: ${text}\n`);
      open = false;
    },
    /** A line that replaces itself on a terminal; elsewhere one every ten seconds at most. */
    status(text: string) {
      const now = performance.now();
      if (tty) {
        process.stderr.write(`\r\x1b[Kimspec load: ${text}`);
        open = true;
      } else if (now - lastStatus >= 10_000) {
        lastStatus = now;
        process.stderr.write(`imspec load: ${text}\n`);
      }
    },
    update: (p: LoadProgress) => {
      const text = renderProgress(p, previous);
      previous = p;
      if (tty) {
        process.stderr.write(`\r\x1b[K${text}`);
        open = true;
      } else if (p.t - lastPlain >= 5000) {
        lastPlain = p.t;
        process.stderr.write(`${text}\n`);
      }
    },
    end() {
      if (open) process.stderr.write('\n');
      open = false;
    },
  };
}
