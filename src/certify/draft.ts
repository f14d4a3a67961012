/**
 * `--draft-expectations FILE`: an expected-failures file (docs/reports.md) drafted from a run, so
 * a person starts from the kit's findings instead of a blank file. Every FAIL and WARN becomes an
 * entry with its verdict, the requirement ids of its findings and the finding's own words as the
 * reason, marked UNREVIEWED: a reason must say why the server deviates, and only a person who has
 * read the history can (docs/certify.md, "From findings to expected failures"). Entries of the
 * current file are kept when their case still deviates the same way or did not run; ERROR and
 * FLAKY cases are never drafted (the kit could not judge them). Pure.
 */

import type { Exemption } from '../report/expect-failures.js';
import type { CaseResult, RunResult } from '../report/types.js';
import { withoutRunPrefix } from './text.js';

/** One entry as the file holds it. */
export interface DraftEntry {
  id: string;
  reason: string;
  verdict?: 'WARN';
  /** Absent: any failing finding is expected (an empty list would expect none). */
  findings?: string[];
}

export interface Draft {
  entries: DraftEntry[];
  /** Cases left out, with why (ERROR, FLAKY). */
  skipped: { id: string; why: string }[];
  /** Entries of the current file dropped because their case no longer deviates. */
  dropped: string[];
}

/** The mark on a drafted reason until a person rewrites it. */
export const UNREVIEWED = 'UNREVIEWED';

const RANK: Record<string, number> = { MUST: 0, SHOULD: 1, MAY: 2 };
const FLOOR = { FAIL: 0, WARN: 1 } as const;

export function draftExpectations(run: RunResult, current: readonly Exemption[] = []): Draft {
  const byId = new Map(current.map((e) => [e.id, e]));
  const entries: DraftEntry[] = [];
  const skipped: Draft['skipped'] = [];
  const dropped: string[] = [];
  const ran = new Set<string>();
  for (const c of run.cases) {
    ran.add(c.id);
    const known = byId.get(c.id);
    if (c.verdict === 'XFAIL' && known) entries.push(entryOf(known));
    else if (c.verdict === 'FAIL' || c.verdict === 'WARN') entries.push(drafted(c, known));
    else if (c.verdict === 'ERROR' || c.verdict === 'FLAKY') {
      skipped.push({ id: c.id, why: `${c.verdict}: ${withoutRunPrefix(c.reason ?? '')}` });
      if (known) entries.push(entryOf(known));
    } else if (known) dropped.push(c.id);
  }
  // Entries for cases this run did not select stay as they are.
  for (const e of current) if (!ran.has(e.id)) entries.push(entryOf(e));
  return { entries, skipped, dropped };
}

/** The file's text: JSON (every `*.yaml` under suites/ is read as a scenario). */
export function renderDraft(draft: Draft): string {
  return `${JSON.stringify(draft.entries, null, 2)}\n`;
}

function drafted(c: CaseResult, known: Exemption | undefined): DraftEntry {
  const floor = FLOOR[c.verdict as 'FAIL' | 'WARN'];
  const failing = c.findings.filter((f) => (RANK[f.level] ?? 2) <= floor);
  const ids = [...new Set(failing.map((f) => f.requirement))];
  const first = failing[0];
  const said = first
    ? `${first.requirement}: expected ${first.expected}; actual ${first.actual}`
    : (c.reason ?? c.verdict);
  const reason = known
    ? `${UNREVIEWED} (the case now deviates differently: ${withoutRunPrefix(said)}) ${known.reason}`
    : `${UNREVIEWED}: ${withoutRunPrefix(said)}`;
  return {
    id: c.id,
    reason,
    ...(c.verdict === 'WARN' ? { verdict: 'WARN' as const } : {}),
    ...(ids.length > 0 ? { findings: ids } : {}),
  };
}

function entryOf(e: Exemption): DraftEntry {
  return {
    id: e.id,
    reason: e.reason,
    ...(e.verdict === 'WARN' ? { verdict: 'WARN' as const } : {}),
    ...(e.findings ? { findings: [...e.findings] } : {}),
  };
}
