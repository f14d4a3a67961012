/**
 * The help a new user reads first: paragraphs wrapped once (not re-wrapped into ragged lines),
 * examples that name files that exist and commands that work as written.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { directionFailure } from '../../src/cli/commands/monitor.js';
import { unwrapParagraphs } from '../../src/cli/help.js';
import { withConsole } from '../../src/report/reporters.js';
import { runCli } from '../server/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('help text', () => {
  it('joins a paragraph written over several source lines, keeping paragraphs and list lines', () => {
    expect(
      unwrapParagraphs('decide whether it was\ndelivered exactly once.\n\nNext paragraph\n  - a list line'),
    ).toBe('decide whether it was delivered exactly once.\n\nNext paragraph\n  - a list line');
  });

  it('prints `run --help` without a line broken by a second wrap', async () => {
    const { code, stdout } = await runCli(['run', '--help']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    // A ragged re-wrap leaves a long line followed by a one- or two-word line inside a paragraph.
    const description = lines.slice(2, lines.indexOf('Arguments:') - 1);
    expect(description.length).toBeGreaterThan(0);
    for (const line of description.slice(0, -1)) expect(line.length).toBeGreaterThan(60);
    expect(stdout.replace(/\n/g, ' ')).toMatch(/delivered exactly once/);
  });

  it('lists every command in `imspec --help` with a short summary, not its whole description', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    const section = stdout.slice(stdout.indexOf('Commands:')).split('\n').slice(1);
    // An entry starts at two spaces; its wrapped continuation lines are indented further.
    const entries: string[][] = [];
    for (const line of section) {
      if (/^ {2}\S/.test(line)) entries.push([line]);
      else if (/^ {3,}\S/.test(line)) entries.at(-1)?.push(line);
    }
    expect(entries.map((e) => e[0]!.trim().split(' ')[0])).toContain('load');
    for (const entry of entries) expect(entry.length, entry.join('\n')).toBeLessThanOrEqual(2);
  });

  it('names only files that exist in the `validate --help` examples', async () => {
    const { stdout } = await runCli(['validate', '--help']);
    const named = [...stdout.matchAll(/\$ imspec validate (.+)/g)].flatMap((m) => m[1]!.split(' '));
    const suiteFiles = named.filter((p) => p.startsWith('suites/'));
    expect(suiteFiles.length).toBeGreaterThan(0);
    for (const path of suiteFiles) expect(existsSync(`${root}${path}`), path).toBe(true);
  });

  it('keeps README commands runnable as written: monitor takes -c, a --target-cmd run gives the secret', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    for (const m of readme.matchAll(/imspec monitor ([^`\n#]*)/g)) expect(m[1]).toMatch(/^(-c|--config) /);
    // A run whose --target-cmd starts `imspec serve --hmac-secret X` must authenticate with X.
    const runs = readme.replace(/\\\n\s*/g, ' ').matchAll(/imspec run ([^\n]*--target-cmd '([^']*)'[^\n]*)/g);
    for (const [, line, cmd] of runs) {
      const secret = /imspec serve .*--hmac-secret (\S+)/.exec(cmd!)?.[1];
      if (secret) expect(line!.replace(cmd!, '')).toContain(`--hmac-secret ${secret}`);
    }
  });

  it('says "could not connect" rather than "connect after 0 attempt(s)"', () => {
    expect(directionFailure('connect', 0)).toBe('could not connect');
    expect(directionFailure('timeout', 1)).toBe('timeout after 1 send');
    expect(directionFailure('lost', 3)).toBe('lost after 3 sends');
  });

  it('keeps the console summary beside --report files unless quiet', () => {
    expect(withConsole(['json=r.json'])).toEqual(['console', 'json=r.json']);
    expect(withConsole(['json=r.json'], true)).toEqual(['json=r.json']);
    expect(withConsole(['console', 'junit=j.xml'])).toEqual(['console', 'junit=j.xml']);
    expect(withConsole([])).toEqual(['console']);
    // -q means no console summary, even one named with --report console.
    expect(withConsole(['console', 'junit=j.xml'], true)).toEqual(['junit=j.xml']);
    expect(withConsole([], true)).toEqual([]);
  });
});
