/**
 * What a case's history shows beyond the checker's ledger, for the certification's "Measured"
 * lines: pushes the broker flagged as redeliveries, and messages the server returned to their
 * sender. Pure.
 */

import type { HistoryEvent } from '../history/events.js';

export interface ProtocolEvidence {
  /** MQTT PUBLISHes to a receiver with the DUP flag set (a redelivery). */
  dupFlagged: number;
  /** XMPP messages returned to their sender (`<message type="error">`). */
  returnedToSender: number;
}

export function protocolEvidence(events: readonly HistoryEvent[]): ProtocolEvidence {
  let dupFlagged = 0;
  let returnedToSender = 0;
  for (const e of events) {
    if (e.kind !== 'frame' || e.dir !== 'in') continue;
    if (e.type === 'msg:N' && e.fields['dup'] === true) dupFlagged++;
    if (e.fields['bounce'] !== undefined) returnedToSender++;
  }
  return { dupFlagged, returnedToSender };
}
