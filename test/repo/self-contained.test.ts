/**
 * The repository stands on its own: no file points readers at notes that live outside it
 * (a design brief or source articles kept next to the checkout). Background belongs in docs/.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const OUTSIDE = [/\bDESIGN\.md\b/, /\.\.\/shared\//, /\bshared\/seeds\b/];

describe('the repository', () => {
  it('refers to no document outside itself', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.endsWith('package-lock.json') && f !== 'test/repo/self-contained.test.ts');
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(ROOT + file, 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      text.split('\n').forEach((line, i) => {
        if (OUTSIDE.some((re) => re.test(line))) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
