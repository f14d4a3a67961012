import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/scenarios/hints.js';

describe('did-you-mean hints', () => {
  it('counts an adjacent transposition as one edit', () => {
    expect(editDistance('sned', 'send')).toBe(1);
    expect(editDistance('retransmitMs', 'retransmit')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('offers the closest candidate only when it is a plausible typo', () => {
    expect(closest('dedupe', ['dedup', 'paged-sync'])).toBe('dedup');
    expect(closest('MUSt', ['MUST', 'MAY'])).toBe('MUST');
    expect(closest('zzz', ['exactlyOnce', 'receipt'])).toBeUndefined();
    // short words allow one edit only: "ab" is not a typo of "xy"
    expect(closest('ab', ['xy', 'abc'])).toBe('abc');
    expect(closest('ab', ['xy'])).toBeUndefined();
    expect(didYouMean('stat', ['state', 'bots'])).toBe('; did you mean "state"?');
    expect(didYouMean('qqqq', ['state'])).toBe('');
  });
});
