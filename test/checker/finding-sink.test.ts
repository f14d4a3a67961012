/**
 * Findings quote what the server sent; a hostile server's identifiers can be a megabyte long.
 * The sink keeps each text member of a finding bounded, so reports stay small and valid.
 */
import { describe, expect, it } from 'vitest';
import { FindingSink, MAX_FINDING_TEXT } from '../../src/checker/findings.js';

describe('FindingSink', () => {
  it('cuts a 1 MB identifier in every text member of a finding, saying how much was left out', () => {
    const long = 'C'.repeat(1024 * 1024);
    const sink = new FindingSink(new Set(), 10);
    sink.add({
      kind: 'assertion',
      requirement: 'MSG-2',
      expected: `cmid ${long} once`,
      actual: `seq 1 gives it to ${long}`,
      evidence: [1],
      cmid: long,
      smid: long,
    });
    const [f] = sink.result();
    for (const text of [f!.expected, f!.actual, f!.cmid!, f!.smid!]) {
      expect(text.length).toBeLessThan(MAX_FINDING_TEXT + 50);
      expect(text).toMatch(/… \(\d+ more characters\)$/);
    }
    expect(f!.cmid).toBe(
      `${'C'.repeat(MAX_FINDING_TEXT)}… (${long.length - MAX_FINDING_TEXT} more characters)`,
    );
  });

  it('keeps short texts as they are and never splits a surrogate pair', () => {
    const sink = new FindingSink(new Set(), 10);
    const emoji = `${'x'.repeat(MAX_FINDING_TEXT - 1)}😀tail`;
    sink.add({
      kind: 'assertion',
      requirement: 'MSG-2',
      expected: 'e',
      actual: emoji,
      evidence: [1],
      cmid: 'c1',
    });
    const [f] = sink.result();
    expect(f!.expected).toBe('e');
    expect(f!.cmid).toBe('c1');
    expect(f!.actual.startsWith(`${'x'.repeat(MAX_FINDING_TEXT - 1)}…`)).toBe(true);
  });
});
