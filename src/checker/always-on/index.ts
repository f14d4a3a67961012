/**
 * The always-on rules, applied together: `judgeAlwaysOn(history, caps)` → findings, through the
 * same FindingSink as the case checker (caps not claimed drop their findings; levels come from
 * docs/protocol.md). docs/always-on.md lists what each requirement id gets.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { Cap } from '../../protocol/frames.js';
import { FindingSink } from '../findings.js';
import type { Finding } from '../types.js';
import { advertisedLimits } from './advertised-limits.js';
import { bodyIntegrity } from './body-integrity.js';
import { pushAfterAck } from './push-after-ack.js';
import { pushChain } from './push-chain.js';
import { receiptAddressee } from './receipt-addressee.js';
import { smidIdentity } from './smid-identity.js';
import type { AlwaysOnRule } from './types.js';

export type { AlwaysOnRule } from './types.js';

export const ALWAYS_ON_RULES: readonly AlwaysOnRule[] = [
  bodyIntegrity,
  smidIdentity,
  pushAfterAck,
  receiptAddressee,
  pushChain,
  advertisedLimits,
];

export function judgeAlwaysOn(
  events: readonly HistoryEvent[],
  caps: readonly Cap[],
  maxFindingsPerRule = 50,
): Finding[] {
  const sink = new FindingSink(new Set(caps), maxFindingsPerRule);
  for (const rule of ALWAYS_ON_RULES) rule.judge(events, (f) => sink.add(f));
  return sink.result();
}
