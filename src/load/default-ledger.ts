/**
 * The ledger `imspec load` judges with by default: the checker's StreamingLedger (the case
 * checker's rules, message by message). Programmatic callers may pass their own factory.
 */

import type { LedgerFactory } from '../checker/ledger-contract.js';
import { streamingLedger } from '../checker/streaming.js';

export function defaultLedger(): LedgerFactory {
  return streamingLedger;
}
