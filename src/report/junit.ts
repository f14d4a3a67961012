/**
 * JUnit XML (`--report junit=PATH`), the format CI systems read: one <testsuite> per suite, one
 * <testcase> per case. The mapping follows one rule: a case gets a <failure> or <error> exactly
 * when it makes the run exit 1 (see failsRun), so the CI's red/green and imspec's exit code agree.
 *
 * - FAIL, FLAKY of a MUST case, stale exemption → <failure type="FAIL|FLAKY|STALE_EXEMPTION">
 * - INCONCLUSIVE → <skipped> with the unmet precondition, or <failure type="INCONCLUSIVE"> under
 *   --strict (where it fails the run)
 * - ERROR → <error>
 * - UNSUPPORTED, XFAIL → <skipped> (pytest maps xfail to skipped too)
 * - PASS, INFO, WARN, FLAKY of a SHOULD/MAY case → passing; findings go to <system-out>
 *
 * Every case carries <properties>: verdict, severity, seed, one `requirement` per covered id and
 * one `finding` per finding, so a dashboard can group failures by requirement.
 */

import type { CaseResult, RunResult } from './types.js';
import { failsRun } from './verdict.js';
import { cut } from './wire-log.js';

/**
 * Escapes text for XML attribute values and character data, and drops what XML 1.0 cannot carry
 * at all (control characters other than tab, LF and CR; lone surrogates; U+FFFE/U+FFFF) — a
 * hostile frame in a wire log must not make the whole report unreadable.
 */
export function escapeXml(text: string): string {
  return (
    text
      .replace(
        /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
        '\ufffd',
      )
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Attribute values are normalized by XML parsers (newline → space); keep them as references.
      .replace(/\n/g, '&#10;')
      .replace(/\r/g, '&#13;')
      .replace(/\t/g, '&#9;')
  );
}

/** Escapes character data, keeping newlines literal so the text stays readable in the file. */
function escapeText(text: string): string {
  return escapeXml(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

function property(name: string, value: string | number): string {
  return `<property${attrs({ name, value })}/>`;
}

interface CaseOutcome {
  /** The element that marks a failing/erroring/skipped case, or undefined for a passing one. */
  element?: { tag: 'failure' | 'error' | 'skipped'; type: string; message: string; body: string };
}

function outcomeOf(c: CaseResult, stale: boolean, strict: boolean): CaseOutcome {
  const details = detailText(c);
  if (stale) {
    return {
      element: {
        tag: 'failure',
        type: 'STALE_EXEMPTION',
        message: `expected to fail (--expect-failures), but got ${c.verdict}: remove the exemption`,
        body: details,
      },
    };
  }
  if (c.verdict === 'ERROR') {
    return {
      element: {
        tag: 'error',
        type: 'ERROR',
        message: c.reason ?? 'the kit could not run the case',
        body: details,
      },
    };
  }
  if (failsRun(c, strict)) {
    return {
      element: { tag: 'failure', type: c.verdict, message: c.reason ?? firstFinding(c), body: details },
    };
  }
  if (c.verdict === 'UNSUPPORTED' || c.verdict === 'XFAIL') {
    const message =
      c.verdict === 'XFAIL' ? `expected failure: ${c.reason ?? ''}` : (c.reason ?? 'unsupported');
    return { element: { tag: 'skipped', type: c.verdict, message, body: '' } };
  }
  if (c.verdict === 'INCONCLUSIVE') {
    const message = `inconclusive: ${c.reason ?? 'a precondition did not hold'}`;
    return { element: { tag: 'skipped', type: c.verdict, message, body: details } };
  }
  return {};
}

function firstFinding(c: CaseResult): string {
  const f = c.findings[0];
  return f ? `${f.requirement}: expected ${f.expected}, actual ${f.actual}` : c.verdict;
}

/** The readable detail of a case: findings, wire log, replay command. */
function detailText(c: CaseResult): string {
  const lines: string[] = [];
  for (const u of c.preconditions ?? []) {
    lines.push(`precondition ${u.precondition} did not hold`);
    lines.push(`  expected: ${u.expected}`);
    lines.push(`  actual:   ${u.actual}`);
  }
  for (const f of c.findings) {
    lines.push(`${f.requirement} (${f.level}) ${f.kind}${f.cmid ? ` cmid=${f.cmid}` : ''}`);
    lines.push(`  expected: ${f.expected}`);
    lines.push(`  actual:   ${f.actual}`);
  }
  if (c.passRate) {
    lines.push(
      `passed ${c.passRate.passed}/${c.passRate.runs} runs; failing seeds: ${c.passRate.failingSeeds.join(', ') || '-'}`,
    );
  }
  if (c.wireLog.length > 0) lines.push('wire log:', ...c.wireLog);
  if (c.replay) lines.push(`replay: ${c.replay}`);
  return lines.join('\n');
}

function renderCase(c: CaseResult, stale: boolean, strict: boolean): string {
  const props = [
    property('verdict', c.verdict),
    property('severity', c.severity),
    property('seed', c.seed),
    ...c.covers.map((id) => property('requirement', id)),
    ...c.findings.map((f) => property('finding', `${f.requirement} ${f.kind}`)),
  ];
  const { element } = outcomeOf(c, stale, strict);
  const name = c.title ? `${c.id}: ${c.title}` : c.id;
  const out = [
    `    <testcase${attrs({ name, classname: `imspec.${c.suite}`, file: c.file, time: seconds(c.durationMs) })}>`,
    `      <properties>${props.join('')}</properties>`,
  ];
  if (element) {
    const open = `      <${element.tag}${attrs({ type: element.type, message: cut(element.message, 500) })}`;
    out.push(element.body ? `${open}>${escapeText(element.body)}</${element.tag}>` : `${open}/>`);
  }
  // Passing cases with something to say (WARN, INFO, a FLAKY SHOULD case) keep it in system-out.
  if (!element && c.findings.length > 0)
    out.push(`      <system-out>${escapeText(detailText(c))}</system-out>`);
  out.push('    </testcase>');
  return out.join('\n');
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  ms: number;
}

function count(cases: readonly CaseResult[], stale: ReadonlySet<string>, strict: boolean): Counts {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, ms: 0 };
  for (const c of cases) {
    counts.tests++;
    counts.ms += c.durationMs;
    const tag = outcomeOf(c, stale.has(c.id), strict).element?.tag;
    if (tag === 'failure') counts.failures++;
    else if (tag === 'error') counts.errors++;
    else if (tag === 'skipped') counts.skipped++;
  }
  return counts;
}

/** Pure: the whole JUnit XML document for a run. */
export function renderJunit(run: RunResult): string {
  const stale = new Set(run.staleExemptions);
  const strict = run.strict === true;
  const suites = new Map<string, CaseResult[]>();
  for (const c of run.cases) {
    const list = suites.get(c.suite);
    if (list) list.push(c);
    else suites.set(c.suite, [c]);
  }
  const total = count(run.cases, stale, strict);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'imspec', tests: total.tests, failures: total.failures, errors: total.errors, skipped: total.skipped, time: seconds(run.durationMs), timestamp: run.startedAt })}>`,
  ];
  let index = 0;
  for (const [suite, cases] of suites) {
    const n = count(cases, stale, strict);
    out.push(
      `  <testsuite${attrs({ name: suite, id: index++, tests: n.tests, failures: n.failures, errors: n.errors, skipped: n.skipped, time: seconds(n.ms), timestamp: run.startedAt })}>`,
      `    <properties>${[
        property('runId', run.runId),
        property('target', run.target),
        property('driver', run.driver),
        property('seed', run.seed),
      ].join('')}</properties>`,
    );
    for (const c of cases) out.push(renderCase(c, stale.has(c.id), strict));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
