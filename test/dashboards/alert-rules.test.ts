import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../src/dashboards/alert-rules.js';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../dashboards/', import.meta.url));

/** promtool comes with Debian's prometheus package; .ci/run installs it on a fresh machine. */
async function promtool(...args: string[]) {
  try {
    return await run('promtool', args, { cwd: dir });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: apt-get install prometheus (see .ci/run)');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('Prometheus alert rules', () => {
  it('have a unit test for every alert and every recording rule', () => {
    const tests = readFileSync(`${dir}imspec-alerts.test.yml`, 'utf8');
    const rules = alertRuleGroups().groups.flatMap((g) => g.rules as { alert?: string; record?: string }[]);
    const untested = rules
      .map((r) => r.alert ?? r.record!)
      .filter((name) => !new RegExp(`(alertname|expr): ${name}\\b`).test(tests));
    expect(untested).toEqual([]);
  });

  it('pass promtool check rules', async () => {
    const { stdout } = await promtool('check', 'rules', 'imspec-alerts.rules.yml');
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests: loss, duplicates, retransmits, SLO burn rates, probe failing and absent', async () => {
    const { stdout } = await promtool('test', 'rules', 'imspec-alerts.test.yml');
    expect(stdout).toContain('SUCCESS');
  });
});
