/**
 * `imspec driver-test <driver> --target URL`: runs the driver contract (src/contract) against a
 * driver and a server, and says which duty of the contract is broken. Exit codes as `run`: 0 every
 * case passed (or is unsupported), 1 a duty is broken, 2 usage, configuration, a driver that does
 * not load, or a target that cannot be reached.
 */

import type { Command } from 'commander';
import { runDriverTest } from '../../contract/driver-test.js';
import { DUTIES } from '../../contract/duties.js';
import type { ContractCaseResult } from '../../contract/run.js';
import { UsageError } from '../../errors.js';
import type { Cap } from '../../protocol/frames.js';
import { collectList, selectionList } from '../lists.js';
import { parseDurationOption } from '../option-values.js';

interface DriverTestCliOptions {
  target: string;
  targetCmd?: string;
  hmacSecret?: string;
  only: string[];
  claims?: string;
  wait: string;
}

export function registerDriverTest(program: Command): void {
  program
    .command('driver-test')
    .summary('check that a driver keeps the driver contract against a real server')
    .description(
      'Run the driver contract suite: log in, send, push, ack, sync, receipts, close and abort through the\n' +
        'driver against a real server, check that every frame, session and close is recorded as the\n' +
        'checker needs, and let bots exchange messages on it for the checker to judge. Each failure\n' +
        'names the broken duty (docs/drivers.md, "The driver contract"). Cases for capabilities the\n' +
        'server does not claim are UNSUPPORTED. Users are fresh per case (prefix dt<random>-).',
    )
    .argument('<driver>', 'ran | mqtt | xmpp, a driver file (./my-driver.js) or an installed driver package')
    .requiredOption('--target <url>', 'the server, as the driver takes it (e.g. tcp://127.0.0.1:7500)')
    .option(
      '--target-cmd <command>',
      'shell command that starts the server at --target first (stopped at the end)',
    )
    .option('--hmac-secret <secret>', 'secret the server derives tokens from (env IMSPEC_HMAC_SECRET)')
    .option(
      '--only <ids>',
      'run only these contract cases (comma-separated, repeatable)',
      selectionList('--only'),
      [],
    )
    .option('--claims <caps>', 'capabilities the server must claim (default: what its first session claims)')
    .option('--wait <duration>', 'how long a case waits for any one answer or push', '5s')
    .addHelpText(
      'after',
      `
Exit codes: 0 every case passed or is unsupported; 1 a duty of the contract is broken;
2 usage or configuration error, a driver that does not load, a target that cannot be reached.

Examples:
  imspec driver-test ./examples/binary-im/driver.js --target tcp://127.0.0.1:7500 --hmac-secret s3cret
  imspec driver-test ran --target ws://127.0.0.1:7400 --hmac-secret s3cret --only login,dedup
  imspec driver-test ./my-driver.js --target tcp://127.0.0.1:7600 \\
      --target-cmd 'exec ./bin/my-server --port 7600' --claims dedup,paged-sync`,
    )
    .action(async (spec: string, opts: DriverTestCliOptions) => {
      const secret = opts.hmacSecret ?? process.env['IMSPEC_HMAC_SECRET'];
      if (!secret) {
        throw new UsageError(
          'driver-test needs the secret the server derives tokens from: --hmac-secret or IMSPEC_HMAC_SECRET',
        );
      }
      const waitMs = parseDurationOption('--wait', opts.wait);
      const out = process.stdout;
      const report = await runDriverTest({
        driver: spec,
        target: opts.target,
        hmacSecret: secret,
        only: opts.only,
        waitMs,
        ...(opts.targetCmd !== undefined ? { targetCmd: opts.targetCmd } : {}),
        ...(opts.claims !== undefined ? { claims: collectList(opts.claims) as Cap[] } : {}),
        onCase: (r) => out.write(renderResult(r)),
      });
      const count = (s: ContractCaseResult['status']) => report.results.filter((r) => r.status === s).length;
      out.write(
        `\ndriver ${report.driver.name} (${spec}) against ${opts.target}; claims: ${report.claims.join(', ') || 'none'}\n`,
      );
      const broken = [...new Set(report.results.flatMap((r) => (r.duty ? [r.duty] : [])))];
      for (const duty of broken) out.write(`broken duty ${duty}: ${DUTIES[duty]}\n`);
      out.write(
        `${count('PASS')} passed, ${count('FAIL')} failed, ${count('UNSUPPORTED')} unsupported, ${count('ERROR')} errors\n`,
      );
      process.exitCode = report.exitCode;
    });
}

function renderResult(r: ContractCaseResult): string {
  const head = `${r.status.padEnd(11)} ${r.id.padEnd(18)} ${r.title}`;
  if (r.status === 'UNSUPPORTED') return `${head} (needs ${r.needs})\n`;
  if (r.status === 'PASS') return `${head} (${Math.round(r.durationMs)} ms)\n`;
  return `${head}\n${' '.repeat(12)}${r.message}\n`;
}
