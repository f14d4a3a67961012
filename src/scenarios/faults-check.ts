/**
 * The `faults:` list of a scenario: each rule is resolved by src/faults (`resolveFaultRules`, the
 * authority on rule shape, with its own "did you mean" hints), and then checked against the rest
 * of the scenario: a step window must fall inside the timeline, and a `user` selector must name a
 * declared user or actor. Every problem comes back with its file:line:col.
 */

import { ScenarioError } from '../errors.js';
import { type FaultPath, resolveFaultRules } from '../faults/resolve.js';
import type { FaultRule } from '../faults/types.js';
import { didYouMean } from './hints.js';
import type { ScenarioIssue } from './loader.js';
import { isRecord } from './schema-check.js';
import type { Loc } from './types.js';
import type { Path } from './yaml-source.js';

/** Every problem of `data.faults`, one per rule at most (a rule's first problem), plus duplicate ids. */
export function faultIssues(data: unknown, locate: (path: Path) => Loc): ScenarioIssue[] {
  if (!isRecord(data) || !Array.isArray(data.faults)) return [];
  const list: unknown[] = data.faults;
  const at = (p: FaultPath) => locate(['faults', ...p]);
  const issues: ScenarioIssue[] = [];
  let resolvedAll = true;
  for (const [i, item] of list.entries()) {
    // A sparse list holding only item i: the resolver maps over present items only, so its
    // messages keep the real index (faults[3].action) while one bad rule cannot hide the next.
    const one: unknown[] = [];
    one[i] = item;
    try {
      const [rule] = resolveFaultRules(one, { locate: at }).filter(Boolean);
      if (rule) issues.push(...ruleIssues(rule, i, data, at));
    } catch (error) {
      resolvedAll = false;
      issues.push(issueOf(error, at([i])));
    }
  }
  if (resolvedAll) {
    try {
      resolveFaultRules(list, { locate: at });
    } catch (error) {
      issues.push(issueOf(error, at([])));
    }
  }
  return issues;
}

/** The scenario's rules, resolved (the list passed faultIssues). */
export function resolveScenarioFaults(raw: unknown[] | undefined, locate: (path: Path) => Loc): FaultRule[] {
  return [...resolveFaultRules(raw ?? [], { locate: (p) => locate(['faults', ...p]) })];
}

function issueOf(error: unknown, fallback: Loc): ScenarioIssue {
  if (!(error instanceof ScenarioError)) throw error;
  const pos = error.position ?? fallback;
  const prefix = error.position ? `${pos.file}:${pos.line}:${pos.col}: ` : '';
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { file: pos.file, line: pos.line, col: pos.col, message };
}

function ruleIssues(
  rule: FaultRule,
  i: number,
  data: Record<string, unknown>,
  at: (p: FaultPath) => Loc,
): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const issue = (path: FaultPath, message: string) => {
    const loc = at(path);
    issues.push({ ...loc, message: `faults[${i}]${path.slice(1).map(segment).join('')}: ${message}` });
  };
  // The runner reports steps 0…n-1 and then n while the case settles (src/runner/run-case.ts).
  const steps = Array.isArray(data.steps) ? data.steps.length : undefined;
  for (const key of ['from', 'until'] as const) {
    const bound = rule.window[key];
    if (steps === undefined || bound === undefined || !('step' in bound) || bound.step <= steps) continue;
    issue(
      [i, key],
      `step ${bound.step} is past the end: steps count from 0 (this case has ${steps}, 0 to ${steps - 1}) and ${steps} is the settling after the last step`,
    );
  }
  if (rule.layer === 'frame' && rule.match.user && isRecord(data.users)) {
    const users = data.users;
    const rawUser = ((data.faults as unknown[])[i] as { match: { user: unknown } }).match.user;
    for (const [j, ref] of rule.match.user.entries()) {
      const [user, device] = ref.split('/') as [string, string | undefined];
      const path = Array.isArray(rawUser) ? [i, 'match', 'user', j] : [i, 'match', 'user'];
      if (!(user in users)) {
        issue(path, `no user "${user}" in users${didYouMean(user, Object.keys(users))}`);
        continue;
      }
      const devices = users[user];
      const list = typeof devices === 'string' ? [devices] : Array.isArray(devices) ? devices : [];
      if (device !== undefined && !list.includes(device)) {
        issue(path, `user ${user} has no device "${device}" (devices: ${list.join(', ')})`);
      }
    }
  }
  return issues;
}

function segment(p: string | number): string {
  return typeof p === 'number' ? `[${p}]` : `.${p}`;
}
