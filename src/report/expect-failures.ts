/**
 * Expected failures (`--expect-failures FILE`): known deviations of a target, so a real server can
 * be certified honestly without forking the suite (docs/reports.md). The file is YAML (JSON is
 * YAML too), a list of exemptions:
 *
 *   - id: dedup-retransmit-same-smid
 *     reason: Mosquitto has no cmid dedup (no `dedup` cap claimed by the driver)
 *     verdict: FAIL          # optional: FAIL (default) or WARN
 *     findings: [DEDUP-1]    # optional: the requirement ids that are expected to break
 *
 * An exemption turns its case's matching FAIL or WARN into XFAIL. An exemption whose case now
 * passes is stale and fails the run: a fixed deviation must be removed from the file, or the file
 * slowly stops saying anything true.
 */

import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { closest } from '../hints.js';
import type { CaseResult, Verdict } from './types.js';
import { isPassing } from './verdict.js';

export interface Exemption {
  /** Case (scenario) id. */
  id: string;
  /** Why the target deviates; shown as the XFAIL reason. */
  reason: string;
  /** The verdict that is expected. @default 'FAIL' */
  verdict: 'FAIL' | 'WARN';
  /** Requirement ids expected among the findings; any other failing finding is not exempted. */
  findings?: string[];
  /** Where the exemption stands, for error messages. */
  file: string;
  line: number;
}

const KEYS = new Set(['id', 'reason', 'verdict', 'findings']);

/** Pure: parses the file's text. Malformed entries are ConfigErrors naming file and line. */
export function parseExpectedFailures(text: string, file: string): Exemption[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  const fail = (line: number, message: string): never => {
    throw new ConfigError(`${file}:${line}: ${message}`);
  };

  const syntax = doc.errors[0];
  if (syntax)
    fail(lineCounter.linePos(syntax.pos[0]).line, `not valid YAML: ${syntax.message.split('\n')[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return [];
  if (!isSeq(root)) fail(lineOf(root), 'expected a list of exemptions (`- id: case-id` with `reason:`)');

  const out: Exemption[] = [];
  const seen = new Map<string, number>();
  for (const item of (root as { items: unknown[] }).items) {
    const node = item as Node;
    const line = lineOf(node);
    if (!isMap(node)) fail(line, 'each exemption is a mapping with `id` and `reason`');
    const map = node as unknown as { items: { key: Node; value: Node | null }[] };
    const fields = new Map<string, { value: unknown; line: number }>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!KEYS.has(key)) fail(lineOf(pair.key), `unknown key "${key}" (allowed: ${[...KEYS].join(', ')})`);
      fields.set(key, {
        value: pair.value ? (pair.value as { toJSON(): unknown }).toJSON() : null,
        line: lineOf(pair.value ?? pair.key),
      });
    }
    const id = fields.get('id');
    if (typeof id?.value !== 'string' || id.value === '') fail(line, 'exemption needs `id:` (a case id)');
    const reason = fields.get('reason');
    if (typeof reason?.value !== 'string' || reason.value.trim() === '') {
      fail(line, `exemption "${id!.value}" needs \`reason:\` saying why the target deviates`);
    }
    const verdictField = fields.get('verdict');
    const verdict = verdictField?.value ?? 'FAIL';
    if (verdict !== 'FAIL' && verdict !== 'WARN') {
      fail(verdictField!.line, `verdict must be FAIL or WARN, not ${JSON.stringify(verdict)}`);
    }
    const findingsField = fields.get('findings');
    if (
      findingsField !== undefined &&
      !(
        Array.isArray(findingsField.value) &&
        findingsField.value.every((f) => typeof f === 'string' && f !== '')
      )
    ) {
      fail(findingsField.line, '`findings:` must be a list of requirement ids, e.g. [DEDUP-1]');
    }
    const caseId = id!.value as string;
    const previous = seen.get(caseId);
    if (previous !== undefined) fail(line, `case "${caseId}" is already exempted at line ${previous}`);
    seen.set(caseId, line);
    const exemption: Exemption = {
      id: caseId,
      reason: (reason!.value as string).trim(),
      verdict: verdict as 'FAIL' | 'WARN',
      file,
      line,
    };
    if (findingsField) exemption.findings = findingsField.value as string[];
    out.push(exemption);
  }
  return out;
}

/** Reads and parses an expected-failures file. */
export async function loadExpectedFailures(path: string): Promise<Exemption[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read expected-failures file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseExpectedFailures(text, path);
}

/** An exemption whose case is not among the cases this run selected. */
export interface UnselectedExemption {
  id: string;
  file: string;
  line: number;
  /** Set when no loaded suite has a case of that id (it may belong to a suite not given). */
  unknown: boolean;
}

export interface SelectedExemptions {
  /** The exemptions of the cases that run. */
  active: Exemption[];
  /** The rest, listed as not run: neither applied nor stale. */
  notRun: UnselectedExemption[];
}

/**
 * Splits exemptions by the cases a run selects, so one expected-failures file serves any subset
 * of suites (`run suites/servers --expect-failures all-of-them.json`): entries for cases not run
 * are listed, never refused. One thing is refused, before anything runs: an id that no loaded
 * suite has and that looks like a misspelling of a case about to run (a typo would otherwise leave
 * that case unexempted and the reader wondering why).
 */
export function selectExemptions(
  exemptions: readonly Exemption[],
  selectedCaseIds: Iterable<string>,
  loadedCaseIds: Iterable<string>,
): SelectedExemptions {
  const selected = new Set(selectedCaseIds);
  const loaded = new Set(loadedCaseIds);
  const active: Exemption[] = [];
  const notRun: UnselectedExemption[] = [];
  const typos: string[] = [];
  for (const e of exemptions) {
    if (selected.has(e.id)) {
      active.push(e);
      continue;
    }
    const unknown = !loaded.has(e.id);
    const meant = unknown ? closest(e.id, selected) : undefined;
    if (meant !== undefined) {
      typos.push(`${e.file}:${e.line}: unknown case id "${e.id}" (did you mean "${meant}"?)`);
      continue;
    }
    notRun.push({ id: e.id, file: e.file, line: e.line, unknown });
  }
  if (typos.length > 0) {
    throw new ConfigError(`${typos.join('; ')} — correct the expected-failures entries`);
  }
  return { active, notRun };
}

export interface StaleExemption {
  id: string;
  file: string;
  line: number;
  /** The verdict the case got instead of the expected one. */
  verdict: Verdict;
}

export interface AppliedExemptions {
  /** The results with exempted failures turned into XFAIL (new objects; the input is not changed). */
  cases: CaseResult[];
  /** Exemptions whose case no longer fails as expected; each one fails the run. */
  stale: StaleExemption[];
}

const LEVEL_OF: Record<'FAIL' | 'WARN', string> = { FAIL: 'MUST', WARN: 'SHOULD' };

/**
 * Applies exemptions to the results of the cases that ran. Cases that did not run (filtered out by
 * `--only`) have no result and are neither applied nor stale; UNSUPPORTED, ERROR and FLAKY say
 * nothing about the deviation either way, so they stay as they are and are not stale.
 *
 * - the expected verdict with only expected findings → XFAIL, reason: the exemption's reason;
 * - a worse verdict (WARN expected, FAIL got) or an unexpected failing finding → unchanged, with
 *   the reason saying why the exemption did not apply (a new deviation must show);
 * - a better verdict (PASS, INFO, or WARN when FAIL was expected) → stale.
 */
export function applyExpectedFailures(
  results: readonly CaseResult[],
  exemptions: readonly Exemption[],
): AppliedExemptions {
  const byId = new Map(exemptions.map((e) => [e.id, e]));
  const stale: StaleExemption[] = [];
  const cases = results.map((result) => {
    const exemption = byId.get(result.id);
    if (!exemption) return result;
    const got = result.verdict;
    if (isPassing(got) || (exemption.verdict === 'FAIL' && got === 'WARN')) {
      stale.push({ id: exemption.id, file: exemption.file, line: exemption.line, verdict: got });
      return result;
    }
    if (got !== 'FAIL' && got !== 'WARN') return result;
    if (exemption.verdict === 'WARN' && got === 'FAIL') {
      return withReason(result, `exemption at ${exemption.file}:${exemption.line} expects WARN only`);
    }
    if (exemption.findings) {
      const expected = new Set(exemption.findings);
      // Only the findings that produce this verdict matter: an extra INFO finding is harmless.
      const failing = result.findings.filter((f) => levelAtLeast(f.level, LEVEL_OF[got]!));
      const unexpected = [...new Set(failing.map((f) => f.requirement).filter((r) => !expected.has(r)))];
      if (unexpected.length > 0) {
        return withReason(
          result,
          `not exempted: ${unexpected.join(', ')} not in the findings expected at ${exemption.file}:${exemption.line}`,
        );
      }
    }
    return { ...result, verdict: 'XFAIL' as const, reason: exemption.reason };
  });
  return { cases, stale };
}

function levelAtLeast(level: string, floor: string): boolean {
  const rank: Record<string, number> = { MUST: 0, SHOULD: 1, MAY: 2 };
  return (rank[level] ?? 2) <= (rank[floor] ?? 2);
}

function withReason(result: CaseResult, note: string): CaseResult {
  // Idempotent, so exemptCase during the run and applyExpectedFailures at its end can both run.
  if (result.reason?.includes(note)) return result;
  return { ...result, reason: result.reason ? `${result.reason}; ${note}` : note };
}

/**
 * One case as it finishes, so reporters show XFAIL live instead of FAIL now and XFAIL at the end.
 * Idempotent: applyExpectedFailures over the same results afterwards changes nothing more and
 * still finds the stale exemptions.
 */
export function exemptCase(result: CaseResult, exemptions: readonly Exemption[]): CaseResult {
  return applyExpectedFailures([result], exemptions).cases[0]!;
}
