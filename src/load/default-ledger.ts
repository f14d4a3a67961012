/**
 * The ledger `imspec load` judges with by default: the checker's StreamingLedger (the case
 * checker's rules, message by message). Programmatic callers may pass their own factory.
 */

import { UnsupportedError } from '../errors.js';
import type { LedgerFactory } from './ledger.js';

export function defaultLedger(): LedgerFactory {
  // Integration point: src/checker's StreamingLedger is being built beside this engine; until it
  // is part of imspec the engine refuses to run without a ledger rather than judge with a copy
  // of the delivery rules.
  throw new UnsupportedError(
    'imspec load needs the streaming ledger (src/checker StreamingLedger), which this build does not have yet',
  );
}
