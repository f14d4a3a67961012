/**
 * Requirement ids of RAN/1. docs/protocol.md is the source; `parseRequirements` extracts every
 * `**ID** (LEVEL)` statement from it, `npm run requirements` writes schemas/requirements.json, and
 * a test fails when the two disagree — so suites can report coverage against a list that cannot
 * drift from the prose.
 */

import requirementsJson from '../../schemas/requirements.json' with { type: 'json' };

export type Level = 'MUST' | 'SHOULD' | 'MAY';

export interface Requirement {
  id: string;
  level: Level;
  /** The section heading the statement stands under. */
  section: string;
  /** Capability the requirement depends on, when it is tagged `[cap: NAME]`. */
  cap?: string;
  /** The statement, first sentence, as plain text. */
  summary: string;
}

const STATEMENT = /^- \*\*([A-Z]+-\d+)\*\* \((MUST|SHOULD|MAY)\)(?: \[cap: ([a-z-]+)\])? ([\s\S]*)$/;

/** Pure: protocol markdown in, requirement list out (document order). */
export function parseRequirements(markdown: string): Requirement[] {
  const out: Requirement[] = [];
  let section = '';
  // A statement is a bullet that may wrap over indented continuation lines.
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^#{2,3} (.+)$/.exec(line);
    if (heading) {
      section = heading[1]!.trim();
      continue;
    }
    if (!line.startsWith('- **')) continue;
    let text = line;
    while (i + 1 < lines.length && /^ {2}\S/.test(lines[i + 1]!)) text += ` ${lines[++i]!.trim()}`;
    const m = STATEMENT.exec(text);
    if (!m) continue;
    const body = m[4]!.replace(/\s+/g, ' ').trim();
    const firstSentence = /^(.+?\.)(\s|$)/.exec(body)?.[1] ?? body;
    const req: Requirement = { id: m[1]!, level: m[2] as Level, section, summary: firstSentence };
    if (m[3]) req.cap = m[3];
    out.push(req);
  }
  return out;
}

export const REQUIREMENTS: readonly Requirement[] = requirementsJson as Requirement[];

const byId = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function requirement(id: string): Requirement | undefined {
  return byId.get(id);
}
