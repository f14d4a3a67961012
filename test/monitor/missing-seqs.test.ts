import { describe, expect, it } from 'vitest';
import type { SyncPage } from '../../src/drivers/driver.js';
import { missingSeqs } from '../../src/monitor/probe-account.js';
import type { StoredMessage } from '../../src/protocol/frames.js';

const page = (seqs: number[], more = false): SyncPage => ({
  msgs: seqs.map((seq) => ({ seq }) as StoredMessage),
  more,
  maxSeq: Math.max(0, ...seqs),
});

describe('missingSeqs: what a gap refetch shows missing', () => {
  it('lists the seqs between the last committed and the pushed one that the page lacks', () => {
    expect(missingSeqs(page([11, 13]), 10, 15, 100)).toEqual([12, 14]);
    expect(missingSeqs(page([11, 12, 13, 14]), 10, 15, 100)).toEqual([]);
  });

  it('trusts a page with more behind it only up to its last seq', () => {
    expect(missingSeqs(page([11, 13], true), 10, 20, 100)).toEqual([12]);
    expect(missingSeqs(page([], true), 10, 20, 100)).toEqual([]);
  });

  it('stays bounded when a server pushes an absurd seq', () => {
    expect(missingSeqs(page([]), 0, 1e12, 5)).toEqual([1, 2, 3, 4, 5]);
  });
});
