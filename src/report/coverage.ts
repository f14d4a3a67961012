/**
 * Requirement coverage (`imspec coverage`): which docs/protocol.md requirement ids each suite's
 * cases cover, and which ids no case covers. An uncovered MUST or SHOULD is a hole in the
 * certification: a server could break it and still pass. Pure.
 */

import { type Level, REQUIREMENTS, type Requirement } from '../protocol/requirements.js';

/** The part of a scenario coverage looks at. */
export interface CoverageCase {
  id: string;
  suite: string;
  file: string;
  covers: readonly string[];
}

export interface RequirementCoverage {
  id: string;
  level: Level;
  section: string;
  cap?: string;
  /** Case ids that list this requirement in `covers`, in input order. */
  cases: string[];
  /** Suites those cases belong to, sorted. */
  suites: string[];
}

export interface SuiteCoverage {
  suite: string;
  cases: number;
  /** Requirement ids the suite covers, in document order; unknown ids are not counted. */
  covers: string[];
}

export interface CoverageReport {
  total: number;
  covered: number;
  requirements: RequirementCoverage[];
  suites: SuiteCoverage[];
  /** Uncovered ids per level, in document order. */
  uncovered: Record<Level, string[]>;
  /** `covers` entries that name no requirement (typos, withdrawn ids), with the case that has them. */
  unknown: { id: string; case: string; file: string }[];
}

/** Pure: cases in, coverage out. `requirements` defaults to schemas/requirements.json. */
export function computeCoverage(
  cases: readonly CoverageCase[],
  requirements: readonly Requirement[] = REQUIREMENTS,
): CoverageReport {
  const rows = new Map<string, RequirementCoverage>();
  for (const r of requirements) {
    const row: RequirementCoverage = { id: r.id, level: r.level, section: r.section, cases: [], suites: [] };
    if (r.cap) row.cap = r.cap;
    rows.set(r.id, row);
  }
  const order = new Map(requirements.map((r, i) => [r.id, i]));
  const suites = new Map<string, { cases: number; covers: Set<string> }>();
  const unknown: CoverageReport['unknown'] = [];

  for (const c of cases) {
    let suite = suites.get(c.suite);
    if (!suite) {
      suite = { cases: 0, covers: new Set() };
      suites.set(c.suite, suite);
    }
    suite.cases++;
    for (const id of new Set(c.covers)) {
      const row = rows.get(id);
      if (!row) {
        unknown.push({ id, case: c.id, file: c.file });
        continue;
      }
      row.cases.push(c.id);
      if (!row.suites.includes(c.suite)) row.suites.push(c.suite);
      suite.covers.add(id);
    }
  }

  const uncovered: Record<Level, string[]> = { MUST: [], SHOULD: [], MAY: [] };
  let covered = 0;
  for (const row of rows.values()) {
    row.suites.sort();
    if (row.cases.length > 0) covered++;
    else uncovered[row.level].push(row.id);
  }
  const byDocOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  return {
    total: rows.size,
    covered,
    requirements: [...rows.values()],
    suites: [...suites.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([suite, s]) => ({ suite, cases: s.cases, covers: [...s.covers].sort(byDocOrder) })),
    uncovered,
    unknown,
  };
}

/** 0, or 1 under `--strict` when a MUST or SHOULD requirement is uncovered. */
export function coverageExitCode(report: CoverageReport, strict: boolean): 0 | 1 {
  return strict && report.uncovered.MUST.length + report.uncovered.SHOULD.length > 0 ? 1 : 0;
}

/** Pure: the text `imspec coverage` prints. Uncovered MUST and SHOULD ids are highlighted. */
export function renderCoverage(report: CoverageReport, options: { color?: boolean } = {}): string {
  const paint = (open: string, text: string) => (options.color ? `${open}${text}\x1b[0m` : text);
  const percent = report.total === 0 ? 100 : Math.round((report.covered / report.total) * 100);
  const lines: string[] = [];
  lines.push(`requirement coverage: ${report.covered}/${report.total} ids covered (${percent}%)`);
  lines.push('');
  if (report.suites.length === 0) lines.push('no cases found');
  for (const s of report.suites) {
    lines.push(`suite ${s.suite}: ${s.cases} case${s.cases === 1 ? '' : 's'}, ${s.covers.length} ids`);
    lines.push(...wrap(s.covers.join(' '), 100, '  '));
  }
  lines.push('');
  for (const level of ['MUST', 'SHOULD', 'MAY'] as const) {
    const ids = report.uncovered[level];
    if (ids.length === 0) {
      lines.push(`uncovered ${level}: none`);
      continue;
    }
    const head = `uncovered ${level} (${ids.length}):`;
    lines.push(level === 'MAY' ? head : paint(level === 'MUST' ? '\x1b[1;31m' : '\x1b[1;33m', head));
    for (const id of ids) {
      const row = report.requirements.find((r) => r.id === id)!;
      const mark = level === 'MAY' ? ' ' : '!';
      lines.push(`  ${mark} ${id.padEnd(10)} ${row.section}${row.cap ? ` [cap: ${row.cap}]` : ''}`);
    }
  }
  if (report.unknown.length > 0) {
    lines.push('');
    lines.push(paint('\x1b[1;31m', `unknown requirement ids in covers (${report.unknown.length}):`));
    for (const u of report.unknown) lines.push(`  ${u.id} in case ${u.case} (${u.file})`);
  }
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, width: number, indent: string): string[] {
  if (text === '') return [`${indent}(none)`];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(indent + line);
  return out;
}
