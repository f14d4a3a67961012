/**
 * `imspec check <capture.jsonl…>`: judges recorded traffic without sending anything — the
 * checker's rules, requirement ids, evidence and reports of a run, over a capture (docs/capture.md).
 * Exit codes as `run`: 0 no MUST broken, 1 a finding breaks a MUST, 2 usage or a bad capture line.
 */

import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { assertCaptureFile, checkCapture } from '../../capture/check.js';
import { loadDriver } from '../../drivers/load.js';
import { UsageError } from '../../errors.js';
import {
  createMetrics,
  labelTarget,
  pushAfterVerdict,
  pushToGateway,
  runMetrics,
} from '../../metrics/index.js';
import { CAPS, type Cap } from '../../protocol/frames.js';
import { buildRunResult, combineReporters, commandReporters } from '../../report/index.js';
import type { CaseResult } from '../../report/types.js';
import { collectList, reportOption } from '../lists.js';
import { pushgatewayOption } from '../option-values.js';

interface CheckCliOptions {
  codec?: string;
  caps?: string[];
  partial?: boolean;
  report: string[];
  quiet?: boolean;
  pushgateway?: string;
  strict: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .summary('judge recorded traffic (a capture) without sending anything')
    .description(
      'Read captures (JSON Lines: one frame per line with time, connection, direction and normalized\n' +
        'fields, schemas/capture.schema.json) and judge them with the checker a run uses: exactly-once\n' +
        'delivery, answered requests, seq continuity, receipts, sync pages — findings with requirement\n' +
        'ids and the frames that prove them. Nothing is sent. docs/capture.md says how to record one.',
    )
    .argument('<captures...>', 'capture files (.jsonl); one verdict each')
    .option(
      '--codec <driver>',
      "decode frames given as bytes with this driver's codec (a driver file, package or built-in name)",
    )
    .option(
      '--caps <caps>',
      `capabilities the server claims (default: the capture's, else its hello:A frames): ${CAPS.join(', ')}`,
      collectList,
    )
    .option(
      '--partial',
      'the capture holds only some connections of its users: judge no one offline for lack of one',
    )
    .addOption(reportOption())
    .option('-q, --quiet', 'no console summary (files named with --report are still written)')
    .option('--strict', 'INCONCLUSIVE captures (no frames to judge) fail the check (exit 1)', false)
    .option(
      '--pushgateway <url>',
      "push the checker's metrics to this Prometheus Pushgateway (job imspec-check)",
      pushgatewayOption,
    )
    .addHelpText(
      'after',
      `
Verdicts as run's; a capture without frames (empty, or a header alone) judges nothing: INCONCLUSIVE.
Exit codes: 0 no MUST broken; 1 a finding breaks a MUST (INCONCLUSIVE too with --strict); 2 usage
error, a capture that is missing or not a file, or a bad capture line (file:line). A failed
--pushgateway push is printed and keeps the verdict's code; it exits 2 only when the verdict was 0.

Examples:
  imspec run suites/core --only happy-six-frames --capture reports/captures   # record one
  imspec check reports/captures/happy-six-frames.jsonl
  imspec check gateway-2024-06-01.jsonl --partial --report json=reports/check.json
  imspec check --codec ./examples/binary-im/driver.js tapped.jsonl             # frames as bytes`,
    )
    .action(async (files: string[], opts: CheckCliOptions) => {
      for (const cap of opts.caps ?? []) {
        if (!(CAPS as readonly string[]).includes(cap)) {
          throw new UsageError(`--caps: unknown capability "${cap}"; known: ${CAPS.join(', ')}`);
        }
      }
      // Every input first: a missing file or a directory is said once, before any verdict.
      for (const file of files) assertCaptureFile(file);
      const codec = opts.codec === undefined ? undefined : (await loadDriver(opts.codec)).codec;
      if (opts.codec !== undefined && !codec) {
        throw new UsageError(`--codec ${opts.codec}: that driver exports no frame codec`);
      }
      const reporter = combineReporters(
        commandReporters(opts.report, opts.quiet, process.stdout, { commandName: 'check' }),
      );
      const registry = new Registry();
      // The traffic was captured elsewhere: no server of the kit's to name.
      labelTarget(registry, 'capture');
      const wiring = runMetrics(createMetrics(registry), 'capture');
      const started = Date.now();
      const runId = `${new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
      reporter.onRunStart({ runId, target: files.join(', '), driver: 'capture', total: files.length });
      const cases: CaseResult[] = [];
      for (const [index, file] of files.entries()) {
        reporter.onCaseStart({ id: file, index, total: files.length });
        const { result, summary } = await checkCapture(file, {
          ...(codec ? { codec } : {}),
          ...(opts.caps ? { caps: opts.caps as Cap[] } : {}),
          ...(opts.partial ? { partial: true } : {}),
          onHistory: (history, scenario) => wiring.onHistory(history, scenario),
        });
        if (summary.reordered > 0) {
          process.stderr.write(
            `imspec check: ${file}: ${summary.reordered} line(s) went back in time; taken as simultaneous with the line before\n`,
          );
        }
        cases.push(result);
        wiring.reporter.onCaseResult?.(result);
        reporter.onCaseResult(result);
      }
      const info = {
        runId,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        target: files.join(', '),
        driver: 'capture',
        seed: 0,
      };
      const { run } = buildRunResult(info, cases, [], opts.strict);
      await reporter.onRunEnd(run);
      const { pushgateway } = opts;
      process.exitCode =
        pushgateway === undefined
          ? run.exitCode
          : await pushAfterVerdict(
              run.exitCode,
              () =>
                pushToGateway({
                  url: pushgateway,
                  registry,
                  job: 'imspec-check',
                  grouping: { run_id: runId },
                }),
              (line) => process.stderr.write(`imspec check: ${line}\n`),
            );
    });
}
