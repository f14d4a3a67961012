/**
 * The always-on rules. The checker's engine runs them on every event (engine-rule.ts, one line in
 * src/checker/rules.ts); `judgeAlwaysOn(history, caps)` runs them alone over a whole history,
 * through the same kind of FindingSink (caps not claimed drop their findings; levels come from
 * docs/protocol.md), for their literal-history tests. docs/always-on.md lists what each
 * requirement id gets.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { Cap } from '../../protocol/frames.js';
import { FindingSink } from '../findings.js';
import type { Finding } from '../types.js';
import { advertisedLimits } from './advertised-limits.js';
import { bodyIntegrity } from './body-integrity.js';
import { judgeHistory } from './judges.js';
import { pushAddressee } from './push-addressee.js';
import { pushAfterAck } from './push-after-ack.js';
import { pushChain } from './push-chain.js';
import { receiptAddressee } from './receipt-addressee.js';
import { smidIdentity } from './smid-identity.js';
import type { AlwaysOnRule } from './types.js';

export { AlwaysOnJudges } from './judges.js';
export type { AlwaysOnJudge, AlwaysOnRule } from './types.js';

export const ALWAYS_ON_RULES: readonly AlwaysOnRule[] = [
  bodyIntegrity,
  smidIdentity,
  pushAfterAck,
  pushAddressee,
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
  judgeHistory(ALWAYS_ON_RULES, events, (f) => sink.add(f));
  return sink.result();
}
