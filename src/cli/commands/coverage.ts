/**
 * `imspec coverage [suites...]`: which docs/protocol.md requirement ids the suites cover, and which
 * MUST and SHOULD ids no case covers. Exit 0; with --strict, 1 when a MUST or SHOULD is uncovered
 * (for CI that wants every normative statement tested). Invalid scenario files end with exit 2.
 */

import type { Command } from 'commander';
import { computeCoverage, coverageExitCode, loadSuites, renderCoverage } from '../../index.js';
import { defaultSuitePaths } from '../../runner/paths.js';

/** Every shipped suite. */
const COVERAGE_DEFAULT: readonly string[] = ['suites'];

export function registerCoverage(program: Command): void {
  program
    .command('coverage')
    .summary('show which protocol requirements the suites cover')
    .description(
      'Map every requirement id of docs/protocol.md to the cases that cover it (their `covers:` lists) ' +
        'and list the ids no case covers, MUST and SHOULD ones marked with "!". Exit code 0; with ' +
        '--strict, 1 when a MUST or SHOULD id is uncovered; 2 on invalid scenarios.',
    )
    .argument(
      '[paths...]',
      `scenario files or directories (default: ${COVERAGE_DEFAULT.join(' ')}, the kit's own when this directory has none)`,
    )
    .option('--json', 'print the coverage report as JSON')
    .option('--strict', 'exit 1 when a MUST or SHOULD requirement is uncovered')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ imspec coverage\n' +
        '  $ imspec coverage suites/core --strict\n' +
        '  $ imspec coverage --json > coverage.json',
    )
    .action((paths: string[], options: { json?: boolean; strict?: boolean }) => {
      const report = computeCoverage(
        loadSuites(paths.length > 0 ? paths : defaultSuitePaths(COVERAGE_DEFAULT)),
      );
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const color = process.stdout.isTTY === true && !process.env['NO_COLOR'];
        process.stdout.write(renderCoverage(report, { color }));
      }
      const code = coverageExitCode(report, options.strict === true);
      if (code !== 0) process.exitCode = code;
    });
}
