/**
 * JUnit XML for a load run: one <testsuite> for the profile, one <testcase> per threshold, a
 * <failure> exactly when that threshold broke (so CI's red/green agrees with the exit code), and
 * the console summary in <system-out>.
 */

import { escapeXml } from '../../report/junit.js';
import type { LoadResult } from '../result.js';
import { formatMs } from '../thresholds.js';
import { renderLoadSummary } from './text.js';

export function renderLoadJunit(r: LoadResult): string {
  const seconds = (r.wallMs / 1000).toFixed(3);
  const failures = r.thresholds.filter((t) => !t.ok).length;
  const cases = r.thresholds.map((t) => {
    const name = escapeXml(`${t.figure} ${t.source}`);
    const actual = Number.isNaN(t.actual)
      ? 'no data'
      : t.figure.includes('latency')
        ? formatMs(t.actual)
        : String(t.actual);
    const body = t.ok
      ? ''
      : `<failure type="THRESHOLD" message="${escapeXml(`${t.figure} ${t.source}: actual ${actual}`)}"/>`;
    return `    <testcase classname="load.${escapeXml(r.profile.name)}" name="${name}" time="${seconds}">${body}<system-out>${escapeXml(`actual ${actual}`)}</system-out></testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imspec load" tests="${r.thresholds.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${escapeXml(r.profile.name)}" tests="${r.thresholds.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeXml(r.startedAt)}">`,
    `    <properties><property name="seed" value="${r.seed}"/><property name="profile-hash" value="${escapeXml(r.profile.hash)}"/><property name="run-id" value="${escapeXml(r.runId)}"/></properties>`,
    ...cases,
    `    <system-out>${escapeXml(renderLoadSummary(r)).replace(/&#10;/g, '\n')}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
