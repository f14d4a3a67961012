/**
 * `imspec validate <files-or-dirs...>`: checks scenario files without running them, as a
 * pre-commit or CI step. Prints `ok  file (id)` per valid scenario and every problem of every
 * invalid one as `file:line:col: message`; exits 0 when all are valid, 2 otherwise.
 */

import type { Command } from 'commander';
import { checkSuites, formatIssue, ScenarioError } from '../../index.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .summary('check scenario YAML files without running them')
    .description(
      'Check scenario files against the scenario schema and rules (known requirement ids,\n' +
        'declared bots, unique ids per suite) without connecting to anything. Directories are\n' +
        'searched recursively for *.yaml and *.yml. Exit code 0 when every scenario is valid, 2 otherwise.',
    )
    .argument('<paths...>', 'scenario files or directories')
    .option('-q, --quiet', 'print only problems, not the ok lines')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ imspec validate suites/core\n' +
        '  $ imspec validate suites/core/lost-msg-a.yaml my-suite/\n\n' +
        'Output:\n' +
        '  ok  suites/core/lost-msg-a.yaml (lost-msg-a)\n' +
        '  my-suite/offline.yaml:7:3: unknown key "retransmitMs" in client; did you mean "retransmit"? …\n\n' +
        'The scenario format is described in docs/scenarios.md.',
    )
    .action((paths: string[], options: { quiet?: boolean }) => {
      const checks = checkSuites(paths);
      let invalid = 0;
      for (const check of checks) {
        if (check.scenario) {
          if (!options.quiet) process.stdout.write(`ok  ${check.file} (${check.scenario.id})\n`);
          continue;
        }
        invalid++;
        for (const issue of check.issues) process.stderr.write(`${formatIssue(issue)}\n`);
      }
      if (invalid > 0) {
        throw new ScenarioError(`${invalid} of ${checks.length} scenario file(s) invalid`);
      }
      if (!options.quiet) process.stdout.write(`${checks.length} scenario file(s) valid\n`);
    });
}
