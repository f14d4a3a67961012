/**
 * `imspec merge`: shard results in, one verdict out — the same summary, JSON and JUnit as a
 * single-machine `imspec load`, with the thresholds judged on the merged figures.
 */

import type { Command } from 'commander';
import { mergeShards } from '../../load/merge.js';
import { collectShardFiles } from '../../load/merge-files.js';
import { createLoadReporters, writeLoadReports } from '../../load/report/reporters.js';
import { checkOutputFile } from '../../output-paths.js';
import { collect } from '../lists.js';
import { parseDurationOption, positiveInt } from '../option-values.js';

interface MergeCliOptions {
  out?: string;
  report: string[];
  quiet?: boolean;
  shards?: number;
  wait?: string;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .summary('merge the results of a sharded load run and judge its thresholds on the whole')
    .description(
      'Merge the results of a sharded load run (imspec load --shard i/N --out FILE) into one:\n' +
        'checks that the files belong together and that every shard is there exactly once, adds\n' +
        'the counters, merges the latency histograms exactly, and judges the thresholds on the whole.',
    )
    .argument('<results...>', 'shard result files, or directories holding them (*.json)')
    .option('--out <file>', 'write the merged JSON summary here (schemas/load-result.schema.json)')
    .option(
      '--report <spec>',
      'reporter: console, json=PATH, junit=PATH, html=PATH (repeatable)',
      collect,
      [],
    )
    .option('-q, --quiet', 'no console summary (files are still written)')
    .option(
      '--shards <n>',
      'the number of shards expected (default: N as the files say)',
      positiveInt('--shards'),
    )
    .option(
      '--wait <duration>',
      'wait up to this long for every shard file to appear (a merge Job started beside the shards)',
    )
    .addHelpText(
      'after',
      `
What it checks: every file is a shard result of the same imspec version, profile (hash), seed,
driver, duration and N, and each index 0…N−1 is there exactly once. A missing or doubled shard
is an error naming the index: the run is incomplete, and no verdict comes from part of it.

Exit codes (as imspec load): 0 every threshold held on the merged figures; 1 a threshold broke
(or a shard was stopped by an abortOnFail threshold); 2 the files do not make one run (a shard
missing or doubled, different profiles or versions), or a usage error.

Examples:
  imspec merge results/*.json
  imspec merge results/ --shards 8 --out reports/load.json --report junit=reports/load.xml
  imspec merge /results --shards 8 --wait 2h        # in a Kubernetes merge Job`,
    )
    .action(async (paths: string[], opts: MergeCliOptions) => {
      const quiet = opts.quiet === true;
      if (opts.out) checkOutputFile('--out', opts.out);
      const reporters = createLoadReporters([
        ...(opts.report.length > 0 ? opts.report : quiet ? [] : ['console']).filter(
          (r) => !(quiet && r === 'console'),
        ),
        ...(opts.out ? [`json=${opts.out}`] : []),
      ]);
      const waitMs = opts.wait === undefined ? 0 : parseDurationOption('--wait', opts.wait, true);
      const files = await collectShardFiles(paths, {
        waitMs,
        ...(opts.shards !== undefined ? { shards: opts.shards } : {}),
      });
      const result = mergeShards(files, opts.shards !== undefined ? { shards: opts.shards } : {});
      await writeLoadReports(reporters, result);
      process.exitCode = result.exitCode;
    });
}
