/**
 * Suites: a directory loads every *.yaml / *.yml below it in a stable order, the suite is the
 * folder under suites/, and ids must be unique within a suite (the error names both files).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import {
  checkSuites,
  formatIssue,
  loadSuite,
  loadSuites,
  scenarioFiles,
  suiteNameOf,
} from '../../src/scenarios/index.js';

const suites = join('test', 'scenarios', 'fixtures', 'suites');
const dup = join(suites, 'dup');

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-scenarios-'));
  tempDirs.push(dir);
  return dir;
}

const SCENARIO = (id: string) =>
  `id: ${id}\ntitle: t\ncovers: [RID-1]\nusers: { a: p }\nsteps: [connect: a]\n`;

describe('suites', () => {
  it('finds every *.yaml and *.yml below a directory, sorted, skipping dot folders and other files', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'b-sub'));
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, 'b-sub', 'z.yaml'), SCENARIO('z'));
    writeFileSync(join(dir, 'c.yml'), SCENARIO('c'));
    writeFileSync(join(dir, 'a.yaml'), SCENARIO('a'));
    writeFileSync(join(dir, 'notes.md'), '# not a scenario\n');
    writeFileSync(join(dir, '.hidden', 'h.yaml'), 'not: valid');
    expect(scenarioFiles(dir)).toEqual([
      join(dir, 'a.yaml'),
      join(dir, 'b-sub', 'z.yaml'),
      join(dir, 'c.yml'),
    ]);
    expect(loadSuite(dir).map((s) => s.id)).toEqual(['a', 'z', 'c']);
  });

  it('names the suite after the folder right under suites/, at any depth below it', () => {
    expect(suiteNameOf(join(suites, 'dup'))).toBe('dup');
    expect(suiteNameOf(join(suites, 'dup', 'a.yaml'))).toBe('dup');
    expect(suiteNameOf(join(suites, 'dup', 'nested', 'c.yaml'))).toBe('dup');
    // outside a suites/ folder: the directory's own name
    expect(suiteNameOf(join('test', 'scenarios', 'fixtures', 'valid', 'full.yaml'))).toBe('valid');
  });

  it('refuses a duplicate id within one suite, naming both files', () => {
    const checks = checkSuites([dup]);
    expect(checks.map((c) => [c.file, c.scenario?.id ?? null])).toEqual([
      [join(dup, 'a.yaml'), 'same-id'],
      [join(dup, 'b.yml'), 'unique-id'],
      [join(dup, 'nested', 'c.yaml'), null],
    ]);
    expect(checks[2]!.issues.map(formatIssue)).toEqual([
      `${join(dup, 'nested', 'c.yaml')}:1:5: duplicate id "same-id" in suite "dup": ${join(dup, 'a.yaml')}:1:5 already uses it; ids must be unique within a suite`,
    ]);
    expect(() => loadSuite(dup)).toThrow(ScenarioError);
  });

  it('allows the same id in different suites', () => {
    const loaded = loadSuites([join(dup, 'a.yaml'), join(suites, 'other')]);
    expect(loaded.map((s) => [s.suite, s.id])).toEqual([
      ['dup', 'same-id'],
      ['other', 'same-id'],
    ]);
  });

  it('checks a file given twice (directly and through its folder) once', () => {
    const loaded = loadSuites([join(suites, 'other', 'same.yaml'), join(suites, 'other')]);
    expect(loaded).toHaveLength(1);
  });

  it('throws one ScenarioError with the issues of every file, first position kept', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), SCENARIO('a').replace('title: t', 'titel: t'));
    writeFileSync(join(dir, 'b.yaml'), SCENARIO('B'));
    let error: ScenarioError | undefined;
    try {
      loadSuite(dir);
    } catch (e) {
      error = e as ScenarioError;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error!.position).toEqual({ file: join(dir, 'a.yaml'), line: 1, col: 1 });
    expect(error!.message.split('\n')).toEqual([
      `${join(dir, 'a.yaml')}:1:1: missing required key "title"`,
      `${join(dir, 'a.yaml')}:2:1: unknown key "titel"; did you mean "title"?`,
      `${join(dir, 'b.yaml')}:1:5: id: expected a kebab-case id like dedup-lost-msg-a, got "B"`,
    ]);
  });

  it('refuses a path that does not exist and a directory without scenarios', () => {
    const dir = tempDir();
    expect(() => loadSuite(join(dir, 'missing'))).toThrow(/cannot read .*missing: ENOENT.*; check the path/);
    expect(() => loadSuite(dir)).toThrow(`no scenario files (*.yaml, *.yml) under ${dir}`);
  });
});
