/**
 * `imspec monitor --config monitor.yaml`: the long-running two-party production probe. Serves
 * /metrics and /healthz until SIGINT/SIGTERM; prints one line per failed probe cycle.
 */

import type { Command } from 'commander';
import { loadMonitorConfig, type MonitorConfig, startMonitor, targetLabel } from '../../index.js';
import { printable } from '../../report/wire-log.js';
import { metricsPortOption, positiveInt } from '../option-values.js';

interface MonitorCliOptions {
  config: string;
  driver?: string;
  targetName?: string;
  metricsPort?: number;
  metricsHost?: string;
  cycles?: number;
}

export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .summary('probe a production server continuously with canaries between two accounts')
    .description(
      'Exchange a canary message between every ordered pair of the configured accounts every ' +
        'interval; measure msg:A, ack:N and end-to-end latency, loss, duplicates, retransmits and seq ' +
        'gaps; serve them on /metrics with imspec_probe_success and imspec_probe_duration_seconds. ' +
        'Tokens come from the environment variables the config names (tokenEnv), never from the file.',
    )
    .requiredOption('-c, --config <file>', 'monitor config (YAML): target, accounts, interval, timeout')
    .option(
      '--driver <driver>',
      'ran | mqtt | xmpp, a driver file (./my-driver.js) or package (overrides the config; docs/drivers.md)',
    )
    .option(
      '--target-name <name>',
      "the `target` label on every metric (overrides the config's targetName; default: host:port of target)",
    )
    .option(
      '--metrics-port <port>',
      'serve /metrics on this port (overrides the config; 0 = any free port)',
      metricsPortOption,
    )
    .option('--metrics-host <host>', 'serve /metrics on this address (overrides the config)')
    .option(
      '--cycles <n>',
      'stop after n probe cycles, n ≥ 1 (default: run until interrupted)',
      positiveInt('--cycles'),
    )
    .addHelpText(
      'after',
      '\nExample config (docs/observability.md has the full reference):\n' +
        '  target: ws://chat.internal:7400\n' +
        '  interval: 30s\n' +
        '  timeout: 10s\n' +
        '  accounts:\n' +
        '    - { user: probe-a, device: monitor, tokenEnv: IMSPEC_PROBE_A_TOKEN }\n' +
        '    - { user: probe-b, device: monitor, tokenEnv: IMSPEC_PROBE_B_TOKEN }\n\n' +
        'Example:\n' +
        '  $ IMSPEC_PROBE_A_TOKEN=… IMSPEC_PROBE_B_TOKEN=… imspec monitor -c monitor.yaml --metrics-port 9464\n\n' +
        'Exit codes (after --cycles, SIGINT or SIGTERM): 0 the last cycle succeeded and no always-on rule\n' +
        'at MUST level broke; 1 the last cycle failed or a MUST rule broke; 2 usage or configuration error\n' +
        '(a bad config, a token variable not set, a driver that does not speak the target URL).',
    )
    .action(async (options: MonitorCliOptions) => {
      const loaded = loadMonitorConfig(options.config);
      const config: MonitorConfig = Object.freeze({
        ...loaded,
        driver: options.driver ?? loaded.driver,
        targetName:
          options.targetName === undefined
            ? loaded.targetName
            : targetLabel(loaded.target, options.targetName),
        metrics: {
          host: options.metricsHost ?? loaded.metrics.host,
          port: options.metricsPort ?? loaded.metrics.port,
        },
      });
      // 0 tells startMonitor to run until stopped: what leaving --cycles out means.
      const cycles = options.cycles ?? 0;
      let findings = 0;
      const monitor = await startMonitor(config, {
        maxCycles: cycles,
        onCycle: (r) => {
          // An always-on rule broken by what the server sent, whether or not the canary arrived.
          for (const f of r.findings) {
            findings++;
            process.stderr.write(
              `imspec monitor: cycle ${r.cycle}: ${f.level} ${f.requirement}: expected ${printable(f.expected)}; actual ${printable(f.actual)}\n`,
            );
          }
          if (r.success) return;
          const dirs = r.directions
            .filter((d) => !d.ok)
            .map((d) => `${d.from}→${d.to} ${directionFailure(d.reason, d.attempts)}`)
            .join(', ');
          process.stderr.write(
            `imspec monitor: cycle ${r.cycle} failed (${r.reason}): ${dirs || r.reason}\n`,
          );
        },
      });
      process.stdout.write(
        `imspec monitor: probing ${config.target} with ${config.accounts.length} accounts every ${config.intervalMs} ms; ` +
          `metrics on ${monitor.metricsUrl}/metrics\n`,
      );
      const stop = () => void monitor.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await monitor.done;
      await monitor.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const last = monitor.last();
      process.stdout.write(
        `imspec monitor: stopped after ${monitor.cycles()} cycle(s); last ${last?.success ? 'succeeded' : 'failed'}; ${findings} always-on finding(s)\n`,
      );
      if (last && (!last.success || last.findings.some((f) => f.level === 'MUST'))) process.exitCode = 1;
    });
}

/**
 * "could not connect" when no message went out (never "connect after 0 attempt(s)"), else the
 * reason after how many sends.
 */
export function directionFailure(reason: string | undefined, attempts: number): string {
  if (attempts === 0)
    return reason === 'connect' ? 'could not connect' : `${reason ?? 'failed'} before any send`;
  return `${reason ?? 'failed'} after ${attempts} ${attempts === 1 ? 'send' : 'sends'}`;
}
