/**
 * Where every check reports. The sink knows the server's claimed caps and drops findings against
 * a requirement tagged with a cap that is not claimed (docs/protocol.md: such a case is
 * UNSUPPORTED, never FAILED), takes each finding's level from the requirement, and bounds how
 * many findings one (kind, requirement) keeps, so a broken server with a million messages yields a
 * readable report rather than a million lines.
 */

import { headOf } from '../bounded-text.js';
import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import { type Level, requirement } from '../protocol/requirements.js';
import { GONE } from './log.js';
import type { Finding, FindingKind } from './types.js';

export interface FindingInput {
  kind: FindingKind;
  requirement: string;
  /** The finding's level when it is not a requirement's (a threshold's: the case severity). */
  level?: Level;
  expected: string;
  actual: string;
  evidence: readonly number[];
  cmid?: string | undefined;
  smid?: string | undefined;
}

/** Most evidence indexes kept per finding: enough to show the pattern in a wire log. */
const MAX_EVIDENCE = 24;

/**
 * Longest text a finding keeps in each of its members. Findings quote what the server sent, and a
 * hostile server's 1 MB cmid, quoted in every finding, made JSON and JUnit reports of 231 MB and
 * console lines of 1 MB. A legal identifier is at most 64 characters (docs/protocol.md).
 */
export const MAX_FINDING_TEXT = 1000;

function bounded(text: string): string {
  if (text.length <= MAX_FINDING_TEXT) return text;
  const head = headOf(text, MAX_FINDING_TEXT);
  return `${head}… (${text.length - head.length} more characters)`;
}

export class FindingSink {
  private readonly kept: Finding[] = [];
  private readonly counts = new Map<string, { count: number; last: Finding }>();
  /** Copies of each kept finding's evidence, when the sink was given a way to read events. */
  readonly copies = new Map<Finding, HistoryEvent[]>();

  /**
   * `copy`: reads an event by index, for a sink whose events will not be there later (the
   * streaming ledger): each kept finding keeps its evidence events (GONE ones left out).
   */
  constructor(
    private readonly caps: ReadonlySet<Cap>,
    private readonly maxPerRule: number,
    private readonly copy?: (idx: number) => HistoryEvent,
    /** Events whose findings are kept past the bound (CheckContext.pinned). */
    private readonly pinned: ReadonlySet<number> = new Set(),
  ) {}

  /** True when findings against `id` count (its cap, if any, is claimed). */
  applies(id: string): boolean {
    const cap = requirement(id)?.cap;
    return cap === undefined || this.caps.has(cap as Cap);
  }

  add(input: FindingInput): void {
    if (!this.applies(input.requirement)) return;
    const key = `${input.kind}\u0000${input.requirement}`;
    const seen = this.counts.get(key);
    // Kept past the bound, and not counted among the ones "not listed".
    const pin = this.pinned.size > 0 && input.evidence.some((i) => this.pinned.has(i));
    if (seen && seen.count >= this.maxPerRule && !pin) {
      seen.count++;
      return;
    }
    const evidence = [...new Set(input.evidence.filter((i) => i >= 0))].sort((a, b) => a - b);
    const finding: Finding = {
      kind: input.kind,
      requirement: input.requirement,
      // An id missing from docs/protocol.md (a scenario's own label) is treated as a MUST.
      level: input.level ?? requirement(input.requirement)?.level ?? 'MUST',
      expected: bounded(input.expected),
      actual: bounded(input.actual),
      evidence: evidence.length > MAX_EVIDENCE ? evidence.slice(0, MAX_EVIDENCE) : evidence,
    };
    if (input.cmid !== undefined) finding.cmid = bounded(input.cmid);
    if (input.smid !== undefined) finding.smid = bounded(input.smid);
    this.kept.push(finding);
    if (this.copy)
      this.copies.set(
        finding,
        finding.evidence.map(this.copy).filter((e) => e !== GONE),
      );
    if (seen) {
      if (seen.count >= this.maxPerRule) return;
      seen.count++;
      seen.last = finding;
    } else {
      this.counts.set(key, { count: 1, last: finding });
    }
  }

  /** The findings in order of their first evidence; truncated rules say how many were left out. */
  result(): Finding[] {
    for (const { count, last } of this.counts.values()) {
      if (count > this.maxPerRule) {
        last.actual += ` (and ${count - this.maxPerRule} more ${last.kind} findings against ${last.requirement} not listed)`;
      }
    }
    const first = (f: Finding) => f.evidence[0] ?? Number.MAX_SAFE_INTEGER;
    return this.kept.sort((a, b) => first(a) - first(b));
  }
}
